-- Appends a batch of dumps' connection and ICE state transitions, each with the state before it on the same
-- peer connection, and their peer connections with their getstats sample counts.
-- reads: webrtc_staged_states, webrtc_staged_connections   params: $file_ids (by file_no)
insert into webrtc_states
select
    $file_ids[file_no + 1], pc_id, ts, event, state,
    lag(state) over (partition by file_no, pc_id, event order by line) as previous,
    line
from webrtc_staged_states
order by file_no, line;
insert into webrtc_connections
select $file_ids[file_no + 1], pc_id, samples, first_ts, last_ts
from webrtc_staged_connections
order by file_no, pc_id
