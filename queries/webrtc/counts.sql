-- What the WebRTC dumps hold: dump files loaded, peer connections (distinct file x peer-connection id),
-- getstats samples, connection failures (transitions of a connection's state into `failed`), sessions that
-- received audio (listeners), sessions whose microphone sent audio (speakers), and the glitches measured
-- from them in the glitch log.
-- params: none
-- returns: files, peer_connections, stats_samples, connection_failures, listeners, speakers, measured_glitches
select
    (select count(*) from files where kind = 'webrtc' and status = 'loaded') as files,
    (select count(*) from webrtc_connections) as peer_connections,
    (select coalesce(sum(samples), 0) from webrtc_connections)::bigint as stats_samples,
    (select count(*) from webrtc_states
     where event = 'connection' and state = 'failed' and previous is distinct from 'failed') as connection_failures,
    (select count(distinct file_id) from webrtc_quality where samples > 0) as listeners,
    (select count(distinct file_id) from webrtc_quality where erle_db is not null) as speakers,
    (select count(*) from glitch_events where extra->>'source' = 'webrtc') as measured_glitches
