-- Errors and glitches in the impact window [$start, $end): error- and fatal-level records naming the failed
-- room, its replacement or no room, and glitch reports in the failed room and its replacement.
-- params: $from_space, $to_space (may be null), $start, $end
-- returns: errors, glitches
select
    (select count(*) from error_events
     where ts >= $start and ts < $end and level in ('error', 'fatal')
       and (space_id is null or space_id = $from_space or space_id = $to_space)) as errors,
    (select count(*) from glitch_events
     where ts >= $start and ts < $end and (space_id = $from_space or space_id = $to_space)) as glitches
order by errors
