-- Appends a batch of dumps' unreadable lines, with their line numbers and reasons.
-- reads: webrtc_staged_rejects   params: $file_ids (by file_no)
insert into rejects
select $file_ids[file_no + 1], 'webrtc', line, reason, raw from webrtc_staged_rejects order by file_no, line
