-- Error-log records per minute, service and level over every room and none, between $start and $end: the
-- error-centred view when no room logs say which room failed.
-- params: $start, $end
-- returns: minute, service, level, records
select time_bucket(interval 1 minute, ts) as minute, service, level, count(*) as records
from error_events
where ts >= $start and ts < $end
group by all
order by minute, service, level
