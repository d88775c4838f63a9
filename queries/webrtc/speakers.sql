-- The speakers' microphones around the listeners' onset: for each session whose microphone source reports
-- echo return loss enhancement (ERLE), its median ERLE before $onset - 60 s (baseline), the first 10-second
-- interval from $onset - 5 min whose ERLE fell under 6 dB while the mic level was >= 0.3 (collapse: the mic
-- hears the room, a feedback loop), the lowest ERLE after it, and the speaker's mic events (mic_on, mic_off) in
-- the room log in the two minutes before the collapse.
-- params: $onset   returns: file_id, user_id, space_id, baseline_erle, collapse_at, lowest_erle,
--                           mic_events, last_mic_event, last_mic_event_at
with mics as (
    select q.file_id, s.user_id, s.space_id, q.interval_start, q.erle_db, q.mic_level
    from webrtc_quality as q
    join webrtc_sessions as s using (file_id)
    where q.erle_db is not null
),
per_speaker as (
    select
        file_id, user_id, space_id,
        median(erle_db) filter (where interval_start < $onset - interval 60 second) as baseline_erle,
        min(interval_start) filter (
            where interval_start >= $onset - interval 5 minute and erle_db < 6 and mic_level >= 0.3
        ) as collapse_at
    from mics
    group by file_id, user_id, space_id
),
lowest as (
    select p.file_id, min(m.erle_db) as lowest_erle
    from per_speaker as p
    join mics as m on m.file_id = p.file_id and m.interval_start >= p.collapse_at
    group by p.file_id
),
mic_events as (
    select
        p.file_id,
        count(j.ts) as mic_events,
        arg_max(j.event, j.ts) as last_mic_event,
        max(j.ts) as last_mic_event_at
    from per_speaker as p
    join join_events as j
        on j.user_id = p.user_id and (p.space_id is null or j.space_id = p.space_id)
        and j.event in ('mic_on', 'mic_off')
        and j.ts between p.collapse_at - interval 2 minute and p.collapse_at + interval 10 second
    group by p.file_id
)
select
    p.file_id, p.user_id, p.space_id, round(p.baseline_erle, 1) as baseline_erle, p.collapse_at,
    round(l.lowest_erle, 1) as lowest_erle, coalesce(e.mic_events, 0) as mic_events, e.last_mic_event,
    e.last_mic_event_at
from per_speaker as p
left join lowest as l using (file_id)
left join mic_events as e using (file_id)
order by p.collapse_at is null, abs(epoch(p.collapse_at) - epoch($onset)), p.user_id
