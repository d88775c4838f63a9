-- Key events of the incident in time order: room starts and ends, speakers joining, leaving and toggling
-- mics, the first error-level record per service, and the presence peaks. Degradation and the switch-over
-- are added from the summary. Times UTC.
-- params: $from_space, $to_space (may be null)
-- returns: ts, space_id, kind, actor, detail
with rooms as (
    select ts, space_id, 'room ' || event as kind, user_id as actor, role as detail
    from join_events
    where (space_id = $from_space or space_id = $to_space) and event in ('start', 'end')
),
speakers as (
    select ts, space_id, 'speaker ' || replace(event, '_', ' ') as kind, user_id as actor, role as detail
    from join_events
    where (space_id = $from_space or space_id = $to_space)
      and role in ('host', 'cohost', 'speaker') and event in ('join', 'leave', 'mic_on', 'mic_off')
),
first_errors as (
    select min(ts) as ts, any_value(space_id) as space_id, 'first error' as kind, service as actor,
           first(coalesce(code || ': ', '') || message order by ts) as detail
    from error_events
    where level in ('error', 'fatal') and (space_id = $from_space or space_id = $to_space)
    group by service
),
final as (
    select * from rooms
    union all select * from speakers
    union all select * from first_errors
)
select * from final order by ts, space_id, kind, actor
