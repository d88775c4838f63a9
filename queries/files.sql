-- The ingest log: every file loaded, with its counts, time range, zone and clock offset.
-- params: none
-- returns: file_id, path, kind, format, bytes, lines_read, loaded, rejected, duplicates, blank, min_ts, max_ts,
--          tz, clock_offset_s, ingested_at, seconds
select file_id, path, kind, format, bytes, lines_read, loaded, rejected, duplicates, blank, min_ts, max_ts,
       tz, clock_offset_s, ingested_at, round(seconds, 3) as seconds
from files
order by file_id
