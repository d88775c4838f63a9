-- The tables every question reads, over a Parquet lake: the raw lake tables are registered as lake_files,
-- lake_rejects, lake_join_events, lake_error_events and lake_glitch_events (see postmortem/engine.py).
-- Portable SQL: it runs on DuckDB as written and on Spark through postmortem/dialect.py.

-- Files are numbered in the order they were ingested (the DuckDB file numbers them the same way).
create or replace temp view files as
select
    cast(row_number() over (order by ingested_at, sha256) as integer) as file_id,
    path, sha256, kind, format, bytes, lines_read, blank, loaded, rejected, duplicates, min_ts, max_ts, tz,
    clock_offset_s, ingested_at, seconds
from lake_files;

create or replace temp view rejects as
select f.file_id, r.kind, r.line, r.reason, r.raw
from lake_rejects as r
join files as f using (sha256);

create or replace temp view join_events as
select ts, space_id, user_id, event, role, platform, region, edge, extra from lake_join_events;

create or replace temp view error_events as
select ts, service, level, message, code, space_id, server, user_id, extra from lake_error_events;

create or replace temp view glitch_events as
select ts, space_id, user_id, glitch, duration_ms, packet_loss, jitter_ms, platform, region, edge, extra
from lake_glitch_events;
