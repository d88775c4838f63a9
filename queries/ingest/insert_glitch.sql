-- Appends the valid staged glitch-log rows that are not exact duplicates of each other or of rows already
-- loaded (a shipper's at-least-once redelivery). Only rows in the staged time range can be duplicates.
-- DISTINCT then an anti join (rather than EXCEPT) so both steps can spill to disk within the memory limit.
-- reads: staged   params: $min_ts, $max_ts   returns: Count (rows inserted)
insert into glitch_events
with fresh as (
    select distinct ts, space_id, user_id, glitch, duration_ms, packet_loss, jitter_ms, platform, region, edge, extra
    from staged
    where reason is null
),
existing as (
    select * from glitch_events where ts between $min_ts and $max_ts
)
select f.*
from fresh as f
anti join existing as e
    on f.ts = e.ts and f.space_id = e.space_id and f.user_id = e.user_id and f.glitch = e.glitch
    and f.duration_ms is not distinct from e.duration_ms and f.packet_loss is not distinct from e.packet_loss
    and f.jitter_ms is not distinct from e.jitter_ms and f.platform is not distinct from e.platform
    and f.region is not distinct from e.region and f.edge is not distinct from e.edge
    and f.extra is not distinct from e.extra
