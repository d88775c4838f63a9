-- Who was on stage: for each host, cohost and speaker of the failed room and its replacement, the intervals
-- they were in the room, split where their mic went on or off. An event starts a segment that lasts until the
-- user's next event in that room (or the room's end); a join turns the mic off until a mic_on, a leave ends the
-- segment's presence. Only present segments are returned; `ends_with_leave` marks a segment that ended with a leave.
-- params: $from_space, $to_space (may be null)
-- returns: space_id, user_id, role, start, end, mic, ends_with_leave
with staff as (
    select distinct space_id, user_id from join_events
    where (space_id = $from_space or space_id = $to_space) and role in ('host', 'cohost', 'speaker')
),
events as (
    select j.space_id, j.user_id, j.ts, j.event, j.role
    from join_events as j
    join staff as s using (space_id, user_id)  -- a join, not a semi join: it builds on the few staff, not the events
    where j.event in ('join', 'leave', 'mic_on', 'mic_off', 'start', 'end')
),
stated as (
    select
        e.*,
        last_value(case when event in ('join', 'start') then true when event in ('leave', 'end') then false end
                   ignore nulls)
            over (partition by space_id, user_id order by ts, event rows between unbounded preceding and current row) as present,
        last_value(case when event = 'mic_on' then true when event in ('mic_off', 'join', 'leave', 'start') then false end
                   ignore nulls)
            over (partition by space_id, user_id order by ts, event rows between unbounded preceding and current row) as mic,
        last_value(case when role in ('host', 'cohost', 'speaker') then role end ignore nulls)
            over (partition by space_id, user_id order by ts, event rows between unbounded preceding and current row) as stage_role,
        lead(ts) over (partition by space_id, user_id order by ts, event) as next_ts,
        lead(event) over (partition by space_id, user_id order by ts, event) as next_event
    from events as e
),
final as (
    select
        s.space_id, s.user_id, coalesce(s.stage_role, s.role) as role, s.ts as start,
        least(coalesce(s.next_ts, b.ended_at), b.ended_at) as "end",
        case when coalesce(s.mic, false) then 'mic on' else 'mic off' end as mic,
        coalesce(s.next_event = 'leave', false) as ends_with_leave
    from stated as s
    join space_bounds as b using (space_id)
    where s.present and s.ts < b.ended_at and least(coalesce(s.next_ts, b.ended_at), b.ended_at) > s.ts
)
select * from final order by space_id, user_id, start
