-- Appends one dump's connection and ICE state transitions, each with the state before it on the same peer
-- connection, and the dump's peer connections with their getstats sample counts.
-- reads: webrtc_staged_states, webrtc_staged_connections   params: $file_id
insert into webrtc_states
select
    $file_id, pc_id, ts, event, state,
    lag(state) over (partition by pc_id, event order by line) as previous,
    line
from webrtc_staged_states
order by line;
insert into webrtc_connections
select $file_id, pc_id, samples, first_ts, last_ts from webrtc_staged_connections order by pc_id
