-- Error- and fatal-level records between $start and $end by service and code, for the failed room, its
-- replacement and platform-wide records: how many, from how many servers (null when no record names a server:
-- not 0), first and last seen, a sample.
-- params: $from_space, $to_space (may be null), $start, $end
-- returns: service, code, level, records, servers, first_at, last_at, sample_message
select
    service, code, max(level) as level, count(*) as records, nullif(count(distinct server), 0) as servers,
    min(ts) as first_at, max(ts) as last_at, first(message order by ts) as sample_message
from error_events
where ts >= $start and ts < $end and level in ('error', 'fatal')
  and (space_id is null or space_id = $from_space or space_id = $to_space)
group by service, code
order by records desc, service, code
