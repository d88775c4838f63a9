-- Where the event moved: the earliest room that starts after the failed room started and no later than
-- $window_minutes after it ended, sharing at least one host/cohost/speaker with it. No row: no switch-over.
-- params: $from_space, $window_minutes
-- Listeners followed: joined the failed room as listener and the replacement after it started. The rate is
-- given against all of the failed room's listeners and against those still present when it ended.
-- returns: from_space, to_space, from_host, to_host, from_ended_at, to_started_at, gap_seconds,
--          speakers_moved, listeners_followed, from_unique_listeners, follow_rate, listeners_at_end,
--          followed_of_at_end, follow_rate_of_at_end
with origin as (
    select * from space_bounds where space_id = $from_space
),
staff as (
    select distinct space_id, user_id from join_events where role in ('host', 'cohost', 'speaker')
),
candidates as (
    select
        b.space_id, b.host, b.started_at,
        list(distinct s.user_id order by s.user_id) as speakers_moved
    from space_bounds as b
    cross join origin as o
    join staff as s on s.space_id = b.space_id
    join staff as f on f.space_id = o.space_id and f.user_id = s.user_id
    where b.space_id <> o.space_id
      and b.started_at > o.started_at
      and b.started_at <= o.ended_at + to_minutes(cast($window_minutes as bigint))
    group by b.space_id, b.host, b.started_at
),
target as (
    select * from candidates order by started_at, space_id limit 1
),
origin_listeners as (
    select distinct user_id from join_events where space_id = $from_space and event = 'join' and role = 'listener'
),
followed as (
    select distinct j.user_id
    from join_events as j
    join target as t on j.space_id = t.space_id and j.event = 'join' and j.ts >= t.started_at
    semi join origin_listeners as l on l.user_id = j.user_id
),
at_end as (
    select distinct s.user_id from sessions as s
    semi join origin_listeners as l on l.user_id = s.user_id
    where s.space_id = $from_space and s.closed_by_end
),
followers as (
    select
        (select count(*) from followed) as listeners_followed,
        (select count(*) from at_end) as listeners_at_end,
        (select count(*) from at_end semi join followed using (user_id)) as followed_of_at_end
),
final as (
    select
        o.space_id as from_space, t.space_id as to_space, o.host as from_host, t.host as to_host,
        o.ended_at as from_ended_at, t.started_at as to_started_at,
        epoch(t.started_at) - epoch(o.ended_at) as gap_seconds,
        t.speakers_moved,
        f.listeners_followed,
        (select count(*) from origin_listeners) as from_unique_listeners,
        round(f.listeners_followed / nullif((select count(*) from origin_listeners), 0), 4) as follow_rate,
        f.listeners_at_end,
        f.followed_of_at_end,
        round(f.followed_of_at_end / nullif(f.listeners_at_end, 0), 4) as follow_rate_of_at_end
    from origin as o
    cross join target as t
    cross join followers as f
)
select * from final order by to_space
