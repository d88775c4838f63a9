-- Error- and fatal-level records loaded (after exact duplicates were dropped), per service.
-- params: none
-- returns: service, errors, fatal
select service, count(*) filter (where level = 'error') as errors, count(*) filter (where level = 'fatal') as fatal
from error_events
where level in ('error', 'fatal')
group by service
order by service
