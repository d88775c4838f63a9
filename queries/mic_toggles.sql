-- Mic toggles per speaker: for each host, cohost and speaker of $from_space and $to_space, how many times their
-- mic went on and off (mic_on and mic_off events) and when they first and last toggled it; 0 for one who never
-- did. Many toggles in a few minutes is a speaker fighting their audio.
-- params: $from_space, $to_space (may be null)
-- returns: space_id, user_id, role, mic_on, mic_off, toggles, first_toggle, last_toggle
with staff as (
    select space_id, user_id, arg_max(role, ts) as role
    from join_events
    where (space_id = $from_space or space_id = $to_space) and role in ('host', 'cohost', 'speaker')
    group by space_id, user_id
),
toggles as (
    select j.space_id, j.user_id, j.event, j.ts
    from join_events as j
    join staff as s using (space_id, user_id)
    where j.event in ('mic_on', 'mic_off')
),
final as (
    select
        s.space_id, s.user_id, s.role,
        count(t.ts) filter (where t.event = 'mic_on') as mic_on,
        count(t.ts) filter (where t.event = 'mic_off') as mic_off,
        count(t.ts) as toggles,
        min(t.ts) as first_toggle,
        max(t.ts) as last_toggle
    from staff as s
    left join toggles as t using (space_id, user_id)
    group by s.space_id, s.user_id, s.role
)
select * from final order by space_id, toggles desc, user_id
