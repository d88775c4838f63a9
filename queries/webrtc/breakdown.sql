-- Listener-minutes by edge, region and platform (the session's, from its dump or --set; `(unknown)` when
-- not said): how many, how many poor, silent and degraded, and the degraded share.
-- reads: listener_minutes   params: none
-- returns: dimension, value, listeners, listener_minutes, poor, silent, degraded, degraded_share
with dims as (
    select 'edge' as dimension, coalesce(edge, '(unknown)') as value, * from listener_minutes
    union all
    select 'region', coalesce(region, '(unknown)'), * from listener_minutes
    union all
    select 'platform', coalesce(platform, '(unknown)'), * from listener_minutes
)
select
    dimension, value,
    count(distinct file_id) as listeners,
    count(*) as listener_minutes,
    count(*) filter (where poor) as poor,
    count(*) filter (where silent) as silent,
    count(*) filter (where degraded) as degraded,
    round(count(*) filter (where degraded) / count(*), 3) as degraded_share
from dims
group by dimension, value
order by dimension, degraded_share desc, value
