-- The per-minute failure timeline of the failed room and its replacement: presence, join/leave traffic,
-- reconnects, glitch load and share of present users reporting one, error-level records naming the room.
-- params: $from_space, $to_space (may be null)
-- returns: space_id, minute, present_users, joins, leaves, rejoins, orphan_leaves, glitch_reports,
--          glitch_users, screech_reports, silence_reports, errors, glitch_share
select *
from space_minutes
where space_id = $from_space or space_id = $to_space
order by minute, space_id
