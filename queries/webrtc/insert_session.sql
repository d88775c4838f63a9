-- Appends a batch of dumps' sessions: who recorded each, in which room, from where (its metadata, or --set).
-- reads: webrtc_staged_sessions   params: $file_ids (by file_no)
insert into webrtc_sessions
select $file_ids[file_no + 1], format, space_id, user_id, role, platform, region, edge, user_agent
from webrtc_staged_sessions
order by file_no
