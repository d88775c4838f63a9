-- The first error- or fatal-level record of each service, over everything loaded, with how many such records
-- the service logged in all.
-- params: none
-- returns: service, first_at, level, code, message, space_id, records
select
    service,
    min(ts) as first_at,
    arg_min(level, ts) as level,
    arg_min(code, ts) as code,
    arg_min(message, ts) as message,
    arg_min(space_id, ts) as space_id,
    count(*) as records
from error_events
where level in ('error', 'fatal')
group by service
order by first_at, service
