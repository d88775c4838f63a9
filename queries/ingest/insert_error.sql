-- Appends the valid staged error-log rows. Exact duplicates (a shipper's at-least-once redelivery) are found by a
-- hash of the record as written (staged.source_hash), and only rows whose hashes meet are compared column by
-- column; rows already loaded are compared column by column within the staged time range.
-- $within: identical records of this file count once. $across: records equal to rows already loaded (in the
-- staged time range, $min_ts..$max_ts) are not added again. See --dedup in docs/log-format.md.
-- reads: staged, repeated_hashes   params: $file_id, $within, $across, $min_ts, $max_ts   returns: Count (rows inserted)
insert into error_events (ts, service, level, message, code, space_id, server, user_id, extra, file_id)
with fresh as not materialized (  -- scanned again by each branch: cheaper than a copy
    select ts, service, level, message, code, space_id, server, user_id, extra, source_hash
    from staged
    where reason is null
),

repeated as (
    select source_hash from repeated_hashes where $within
),

kept as (
    select * from fresh anti join repeated using (source_hash)
    union all
    select distinct * from fresh semi join repeated using (source_hash)
),

existing as (
    select * from error_events where $across and ts between $min_ts and $max_ts
)

select k.* exclude (source_hash), $file_id
from kept as k
anti join existing as e
    on k.ts = e.ts and k.service = e.service and k.level = e.level and k.message = e.message
    and k.code is not distinct from e.code and k.space_id is not distinct from e.space_id
    and k.server is not distinct from e.server and k.user_id is not distinct from e.user_id
    and k.extra is not distinct from e.extra
