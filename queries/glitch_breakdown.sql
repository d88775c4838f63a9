-- Glitch reports in one room by kind: reports, distinct users, median packet loss and 95th-percentile jitter.
-- params: $space_id
-- returns: glitch, reports, users, first_at, last_at, median_packet_loss, p95_jitter_ms
select
    glitch, count(*) as reports, count(distinct user_id) as users, min(ts) as first_at, max(ts) as last_at,
    round(median(packet_loss), 3) as median_packet_loss, round(quantile_cont(jitter_ms, 0.95), 1) as p95_jitter_ms
from glitch_events
where space_id = $space_id
group by glitch
order by reports desc, glitch
