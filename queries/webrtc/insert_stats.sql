-- Appends a batch of dumps' audio stats (webrtc_staged_stats: the expanded samples of each file_no, cumulative
-- counters as the client reported them) with each counter turned into its difference from the same stat's previous sample.
-- A stat whose received samples or packets went back was restarted (a new stream under the same id): its
-- counters count from zero again, so their values are the differences. A stat's first sample has none.
-- reads: webrtc_staged_stats   macros: webrtc/macros   params: $file_ids (by file_no)
insert into webrtc_stats
with previous as (
    select
        *,
        lag(packets_received) over w as p_packets_received,
        lag(packets_lost) over w as p_packets_lost,
        lag(jitter_buffer_delay) over w as p_jitter_buffer_delay,
        lag(jitter_buffer_emitted) over w as p_jitter_buffer_emitted,
        lag(samples_received) over w as p_samples_received,
        lag(concealed_samples) over w as p_concealed_samples,
        lag(silent_concealed_samples) over w as p_silent_concealed_samples,
        lag(concealment_events) over w as p_concealment_events,
        lag(inserted_samples) over w as p_inserted_samples,
        lag(removed_samples) over w as p_removed_samples,
        row_number() over w = 1 as first_sample
    from webrtc_staged_stats
    window w as (partition by file_no, pc_id, stat_id order by sample)
),
flagged as (
    select
        *,
        coalesce(samples_received < p_samples_received, false)
        or coalesce(packets_received < p_packets_received, false) as restarted
    from previous
),
final as (
    select
        file_no, $file_ids[file_no + 1] as file_id, pc_id, stat_id, sample, ts, type, kind,
        counter_delta(packets_received, p_packets_received, first_sample, restarted) as packets_received,
        counter_delta(packets_lost, p_packets_lost, first_sample, restarted) as packets_lost,
        jitter,
        counter_delta(jitter_buffer_delay, p_jitter_buffer_delay, first_sample, restarted) as jitter_buffer_delay,
        counter_delta(jitter_buffer_emitted, p_jitter_buffer_emitted, first_sample, restarted) as jitter_buffer_emitted,
        counter_delta(samples_received, p_samples_received, first_sample, restarted) as samples_received,
        counter_delta(concealed_samples, p_concealed_samples, first_sample, restarted) as concealed_samples,
        counter_delta(silent_concealed_samples, p_silent_concealed_samples, first_sample, restarted)
            as silent_concealed_samples,
        counter_delta(concealment_events, p_concealment_events, first_sample, restarted) as concealment_events,
        counter_delta(inserted_samples, p_inserted_samples, first_sample, restarted) as inserted_samples,
        counter_delta(removed_samples, p_removed_samples, first_sample, restarted) as removed_samples,
        audio_level, round_trip_time, erle
    from flagged
)
select * exclude (file_no) from final
order by file_no, pc_id, stat_id, sample
