-- The most frequent error- and fatal-level messages between $start and $end, per service, level and code:
-- how many records, from how many servers (null when no record names a server: not 0), first and last seen.
-- params: $start, $end, $limit
-- returns: service, level, code, message, records, servers, first_at, last_at
select
    service, level, code, message, count(*) as records, nullif(count(distinct server), 0) as servers,
    min(ts) as first_at, max(ts) as last_at
from error_events
where level in ('error', 'fatal') and ts >= $start and ts < $end
group by service, level, code, message
order by records desc, first_at, service, message
limit $limit
