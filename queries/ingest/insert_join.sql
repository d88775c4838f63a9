-- Appends the kept rows (kept_rows: a file's redeliveries dropped per --dedup) of one file or a batch of small
-- files, each with its file's id. With $across, a row equal to one already loaded (in the staged time range,
-- $min_ts..$max_ts, every stored column compared) or to one of an earlier file of the batch (batch_twins) is
-- not added again. See --dedup in docs/log-format.md.
-- reads: kept_rows, batch_twins   params: $file_ids, $across, $min_ts, $max_ts
insert into join_events by name
select k.* exclude (file_no), $file_ids[k.file_no + 1] as file_id
from kept_rows as k
anti join (  -- what the kept rows must not repeat: rows loaded before (first_file -1), and the batch's twins
    select * exclude (file_id), -1 as first_file from join_events where $across and ts between $min_ts and $max_ts
    union all by name
    select * from batch_twins
) as e
    on k.ts = e.ts and k.space_id = e.space_id and k.user_id = e.user_id and k.event = e.event
    and k.role = e.role and k.platform is not distinct from e.platform
    and k.region is not distinct from e.region and k.edge is not distinct from e.edge
    and k.extra is not distinct from e.extra
    and k.file_no > e.first_file
