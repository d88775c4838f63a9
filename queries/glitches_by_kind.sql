-- Glitch reports loaded (after exact duplicates were dropped), per kind, over all rooms.
-- params: none
-- returns: glitch, reports
select glitch, count(*) as reports from glitch_events group by glitch order by glitch
