-- Takes back everything one file loaded: its rows, rejects and bookkeeping (`ingest --replace`, or a file whose
-- every line was rejected being read again). Statements of one transaction, run by postmortem/ingest.py.
-- params: $file_id
delete from join_events where file_id = $file_id;
delete from error_events where file_id = $file_id;
delete from glitch_events where file_id = $file_id;
delete from webrtc_sessions where file_id = $file_id;
delete from webrtc_connections where file_id = $file_id;
delete from webrtc_stats where file_id = $file_id;
delete from webrtc_states where file_id = $file_id;
delete from webrtc_quality where file_id = $file_id;
delete from metric_points where file_id = $file_id;
delete from rejects where file_id = $file_id;
delete from files where file_id = $file_id
