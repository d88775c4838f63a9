-- Who was hit, by region, platform and edge: users present in the room during [$start, $end), those who
-- reported a glitch then, and their share. A user's dimensions are those of their latest join.
-- params: $space_id, $start, $end
-- returns: dimension, value, users_present, users_reporting, share_reporting
with profile as (
    select user_id, arg_max(platform, ts) as platform, arg_max(region, ts) as region, arg_max(edge, ts) as edge
    from join_events
    where space_id = $space_id and event = 'join'
    group by user_id
),
present as (
    select distinct user_id from sessions where space_id = $space_id and joined_at < $end and left_at > $start
),
reporting as (
    select distinct user_id from glitch_events where space_id = $space_id and ts >= $start and ts < $end
),
per_user as (
    select p.user_id, pr.platform, pr.region, pr.edge, r.user_id is not null as reported
    from present as p
    left join profile as pr using (user_id)
    left join reporting as r using (user_id)
),
long as (
    unpivot per_user on region, platform, edge into name dimension value value
),
final as (
    select dimension, value, count(*) as users_present, count(*) filter (where reported) as users_reporting,
           round(count(*) filter (where reported) / count(*), 4) as share_reporting
    from long
    group by dimension, value
)
select * from final order by dimension, users_present desc, value
