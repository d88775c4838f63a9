-- Appends the valid staged error-log rows that are not exact duplicates of each other or of rows already
-- loaded (a shipper's at-least-once redelivery). Only rows in the staged time range can be duplicates.
-- DISTINCT then an anti join (rather than EXCEPT) so both steps can spill to disk within the memory limit.
-- reads: staged   params: $min_ts, $max_ts   returns: Count (rows inserted)
insert into error_events
with fresh as (
    select distinct ts, service, level, message, code, space_id, server, user_id, extra
    from staged
    where reason is null
),
existing as (
    select * from error_events where ts between $min_ts and $max_ts
)
select f.*
from fresh as f
anti join existing as e
    on f.ts = e.ts and f.service = e.service and f.level = e.level and f.message = e.message
    and f.code is not distinct from e.code and f.space_id is not distinct from e.space_id
    and f.server is not distinct from e.server and f.user_id is not distinct from e.user_id
    and f.extra is not distinct from e.extra
