-- Appends the valid staged glitch-log rows of one file or a batch of small files, each with its file's id.
-- Exact duplicates (a shipper's at-least-once redelivery) are found by a hash of the record as written
-- (staged.source_hash), and only rows whose hashes meet are compared column by column.
-- $within (by file_no): identical records of that file count once. $across: records equal to rows already
-- loaded (in the staged time range, $min_ts..$max_ts) or to rows of an earlier file of the batch are not added
-- again. See --dedup in docs/log-format.md.
-- reads: staged, repeated_hashes   params: $file_ids, $within, $across, $min_ts, $max_ts   returns: Count
insert into glitch_events (ts, space_id, user_id, glitch, duration_ms, packet_loss, jitter_ms, platform, region, edge, extra, file_id)
with fresh as not materialized (  -- scanned again by each branch: cheaper than a copy
    select ts, space_id, user_id, glitch, duration_ms, packet_loss, jitter_ms, platform, region, edge, extra, source_hash, file_no
    from staged
    where reason is null
),

repeated as (
    select file_no, source_hash from repeated_hashes where $within[file_no + 1]
),

kept as (
    select * from fresh anti join repeated using (file_no, source_hash)
    union all
    select distinct * from fresh semi join repeated using (file_no, source_hash)
),

-- what the kept rows must not repeat: rows loaded before (first_file -1), and rows of a batch that an earlier
-- file of the batch holds too (none when one file is staged)
earlier as (
    select ts, space_id, user_id, glitch, duration_ms, packet_loss, jitter_ms, platform, region, edge, extra, -1 as first_file
    from glitch_events
    where $across and ts between $min_ts and $max_ts
    union all
    select ts, space_id, user_id, glitch, duration_ms, packet_loss, jitter_ms, platform, region, edge, extra, min(file_no) as first_file
    from fresh
    where $across and len($file_ids) > 1
    group by all
    having count(distinct file_no) > 1
)

select k.* exclude (source_hash, file_no), $file_ids[k.file_no + 1]
from kept as k
anti join earlier as e
    on k.ts = e.ts and k.space_id = e.space_id and k.user_id = e.user_id and k.glitch = e.glitch
    and k.duration_ms is not distinct from e.duration_ms
    and k.packet_loss is not distinct from e.packet_loss
    and k.jitter_ms is not distinct from e.jitter_ms and k.platform is not distinct from e.platform
    and k.region is not distinct from e.region and k.edge is not distinct from e.edge
    and k.extra is not distinct from e.extra
    and k.file_no > e.first_file
