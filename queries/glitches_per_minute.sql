-- Glitch reports per minute and kind in the failed room and its replacement.
-- params: $from_space, $to_space (may be null)
-- returns: space_id, minute, glitch, reports, users
select space_id, date_trunc('minute', ts) as minute, glitch, count(*) as reports, count(distinct user_id) as users
from glitch_events
where space_id = $from_space or space_id = $to_space
group by all
order by minute, space_id, glitch
