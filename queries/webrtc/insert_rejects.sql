-- Appends one dump's unreadable lines, with their line numbers and reasons.
-- reads: webrtc_staged_rejects   params: $file_id
insert into rejects
select $file_id, 'webrtc', line, reason, raw from webrtc_staged_rejects order by line
