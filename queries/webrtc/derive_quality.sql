-- Each dump's audio per 10-second interval (UTC): what its client heard (received audio: `inbound-rtp`, RTT
-- from `remote-inbound-rtp` or the nominated candidate pair) and what its microphone sent (`media-source`),
-- with the estimated MOS of the simplified E-model (ggarber/rtcscore src/rtc_mos.js; docs/definitions.md):
--   delay = 20 ms packetisation + jitter-buffer delay (50 ms when unknown) + RTT/2 (RTT 50 ms when unknown)
--   loss % = 100 x max(packet loss rate, concealed share): audio the client had to invent, whatever the cause
--   Ipl = Ie + (100 - Ie) x loss / (loss + Bpl), Ie = 6 (bitrate unknown), Bpl = 20 (Opus in-band FEC)
--   Id = 0.03 x delay + 0.1 x (delay - 150)^2 above 150 ms;  R = 100 - Ipl - Id
--   MOS = 1 + 0.035 R + 7e-6 R (R - 60) (100 - R) for 0 < R < 100, 1 below, 4.5 above (ITU-T G.107 B-1: the
--   cubic turns up again for a negative R, which rtcscore's clamp to [1, 5] lets through), 2 decimals
-- params: $file_ids (the dumps just appended)
insert into webrtc_quality
with intervals as (
    select
        file_id,
        time_bucket(interval 10 second, ts) as interval_start,
        sum(samples_received) filter (where type = 'inbound-rtp') as samples,
        sum(concealed_samples) filter (where type = 'inbound-rtp') as concealed,
        sum(silent_concealed_samples) filter (where type = 'inbound-rtp') as silent,
        sum(inserted_samples + removed_samples) filter (where type = 'inbound-rtp') as stretched,
        sum(packets_lost) filter (where type = 'inbound-rtp') as lost,
        sum(packets_received) filter (where type = 'inbound-rtp') as received,
        avg(jitter) filter (where type = 'inbound-rtp') * 1000 as jitter_ms,
        sum(jitter_buffer_delay) filter (where type = 'inbound-rtp')
            / nullif(sum(jitter_buffer_emitted) filter (where type = 'inbound-rtp'), 0) * 1000 as buffer_ms,
        avg(round_trip_time) filter (where type in ('remote-inbound-rtp', 'candidate-pair')) * 1000 as rtt_ms,
        max(audio_level) filter (where type = 'inbound-rtp') as audio_level,
        max(audio_level) filter (where type = 'media-source') as mic_level,
        min(erle) filter (where type = 'media-source') as erle_db
    from webrtc_stats
    where file_id in (select unnest($file_ids))
    group by file_id, interval_start
),
shares as (
    select
        *,
        concealed / nullif(samples, 0) as concealed_share,
        silent / nullif(samples, 0) as silent_share,
        stretched / nullif(samples, 0) as stretch_share,
        greatest(lost, 0) / nullif(greatest(lost, 0) + received, 0) as loss_rate
    from intervals
),
model as (
    select
        *,
        20 + coalesce(buffer_ms, 50) + coalesce(rtt_ms, 50) / 2 as delay_ms,
        100 * greatest(coalesce(loss_rate, 0), coalesce(concealed_share, 0)) as loss_pct
    from shares
),
rating as (
    select
        *,
        100 - (6 + 94 * loss_pct / (loss_pct + 20))
            - (0.03 * delay_ms + case when delay_ms > 150 then 0.1 * (delay_ms - 150) ^ 2 else 0 end) as r
    from model
),
final as (
    select
        file_id, interval_start, samples, concealed_share, silent_share, stretch_share, loss_rate,
        jitter_ms, buffer_ms, rtt_ms, audio_level,
        case
            when not samples > 0 then null
            when r <= 0 then 1.0
            when r >= 100 then 4.5
            else round(1 + 0.035 * r + 7e-6 * r * (r - 60) * (100 - r), 2)
        end as mos,
        mic_level, erle_db
    from rating
)
select * from final
order by file_id, interval_start
