-- When the listeners' audio degraded: the first 10-second interval (UTC) of the first run of at least
-- $sustain consecutive intervals in which at least $min_share of the listening sessions, and at least
-- $min_listeners of them, were degraded (MOS < 3.1, silent share >= 0.5, or received level >= 0.9).
-- params: $sustain, $min_share, $min_listeners   returns: onset, listeners, degraded
with intervals as (
    select
        interval_start,
        count(*) as listeners,
        count(*) filter (where mos < 3.1 or silent_share >= 0.5 or audio_level >= 0.9) as degraded
    from webrtc_quality
    where samples > 0
    group by interval_start
),
marked as (
    select
        *,
        degraded >= $min_listeners and degraded >= $min_share * listeners as bad,
        interval_start - interval 10 second * row_number() over (order by interval_start) as grp
    from intervals
),
runs as (
    select *, count(*) over (partition by grp, bad) as run_length
    from marked
)
select interval_start as onset, listeners, degraded
from runs
where bad and run_length >= $sustain
order by interval_start
limit 1
