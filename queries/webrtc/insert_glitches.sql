-- The dumps' measured glitches into the glitch log, so onset, blast radius and phases can come from measured
-- audio where no client complained: one event per 10-second interval and kind, marked
-- extra.source = 'webrtc' (extra.measure says what was measured). Only for a session whose room is known.
--   silence   silent-concealed share >= 0.5 (the client played silence in place of missing audio)
--   dropout   concealed share >= 0.1, not silence
--   robotic   time-stretch share (samples inserted or removed to resize the jitter buffer) >= 0.1
--   screech   echo-feedback: received audio level >= 0.9 (of full scale), or the microphone's echo return
--             loss enhancement under 6 dB while its level is >= 0.3 (the speaker's mic hears the room)
-- params: $file_ids (the dumps just appended)
insert into glitch_events (ts, space_id, user_id, glitch, duration_ms, packet_loss, jitter_ms, platform, region,
                           edge, extra, file_id)
with fresh as (
    select * from webrtc_quality where file_id in (select unnest($file_ids))
),
measured as (
    select *, 'silence' as glitch, 'silence' as measure, silent_share as share
    from fresh where silent_share >= 0.5
    union all
    select *, 'dropout', 'dropout', concealed_share
    from fresh where concealed_share >= 0.1 and coalesce(silent_share, 0) < 0.5
    union all
    select *, 'robotic', 'time-stretch', stretch_share
    from fresh where stretch_share >= 0.1
    union all
    select *, 'screech', 'echo-feedback', null
    from fresh where audio_level >= 0.9 or (erle_db < 6 and mic_level >= 0.3)
),
final as (
    select
        m.interval_start as ts, s.space_id, s.user_id, m.glitch,
        round(10000 * m.share) as duration_ms, m.loss_rate as packet_loss, m.jitter_ms,
        s.platform, s.region, s.edge,
        json_object('source', 'webrtc', 'measure', m.measure, 'mos', m.mos) as extra,
        m.file_id
    from measured as m
    join webrtc_sessions as s using (file_id)
    where s.space_id is not null
)
select * from final
order by file_id, ts, glitch
