-- Appends the valid staged glitch-log rows. Exact duplicates (a shipper's at-least-once redelivery) are found by a
-- hash of the record as written (staged.source_hash), and only rows whose hashes meet are compared column by
-- column; rows already loaded are compared column by column within the staged time range.
-- $within: identical records of this file count once. $across: records equal to rows already loaded (in the
-- staged time range, $min_ts..$max_ts) are not added again. See --dedup in docs/log-format.md.
-- reads: staged, repeated_hashes   params: $file_id, $within, $across, $min_ts, $max_ts   returns: Count (rows inserted)
insert into glitch_events (ts, space_id, user_id, glitch, duration_ms, packet_loss, jitter_ms, platform, region, edge, extra, file_id)
with fresh as not materialized (  -- scanned again by each branch: cheaper than a copy
    select ts, space_id, user_id, glitch, duration_ms, packet_loss, jitter_ms, platform, region, edge, extra, source_hash
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
    select * from glitch_events where $across and ts between $min_ts and $max_ts
)

select k.* exclude (source_hash), $file_id
from kept as k
anti join existing as e
    on k.ts = e.ts and k.space_id = e.space_id and k.user_id = e.user_id and k.glitch = e.glitch
    and k.duration_ms is not distinct from e.duration_ms and k.packet_loss is not distinct from e.packet_loss
    and k.jitter_ms is not distinct from e.jitter_ms and k.platform is not distinct from e.platform
    and k.region is not distinct from e.region and k.edge is not distinct from e.edge
    and k.extra is not distinct from e.extra
