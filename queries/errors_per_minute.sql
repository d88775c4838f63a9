-- Error log records per minute, service and level between $start and $end, for records naming the failed
-- room or its replacement and for platform-wide records (no room).
-- params: $from_space, $to_space (may be null), $start, $end
-- returns: minute, service, level, records
select time_bucket(interval 1 minute, ts) as minute, service, level, count(*) as records
from error_events
where ts >= $start and ts < $end
  and (space_id is null or space_id = $from_space or space_id = $to_space)
group by all
order by minute, service, level
