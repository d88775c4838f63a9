-- Each listening session's minutes (UTC): a minute in which its client played received audio (samples > 0 in
-- one of its 10-second intervals). mos: the mean of those intervals' MOS; silent_share: silent-concealed
-- samples over samples played. poor: mos < 3.1 (R < 60, "many users dissatisfied"); silent: silent_share >= 0.5;
-- screech: received audio level >= 0.9 of full scale; degraded: any of the three.
-- params: none   returns: file_id, minute, space_id, user_id, platform, region, edge, mos, silent_share, poor,
--                         silent, screech, degraded
with minutes as (
    select
        q.file_id,
        time_bucket(interval 1 minute, q.interval_start) as minute,
        avg(q.mos) as mos,
        sum(q.silent_share * q.samples) / sum(q.samples) as silent_share,
        coalesce(max(q.audio_level) >= 0.9, false) as screech
    from webrtc_quality as q
    where q.samples > 0
    group by all
),
final as (
    select
        m.file_id, m.minute, s.space_id, s.user_id, s.platform, s.region, s.edge,
        round(m.mos, 2) as mos, m.silent_share,
        m.mos < 3.1 as poor,
        coalesce(m.silent_share >= 0.5, false) as silent,
        m.screech,
        m.mos < 3.1 or coalesce(m.silent_share >= 0.5, false) or m.screech as degraded
    from minutes as m
    join webrtc_sessions as s using (file_id)
)
select * from final
order by minute, file_id
