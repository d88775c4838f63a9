-- The tables every question reads, over a Delta lake: its tables are registered as lake_files, lake_rejects,
-- lake_join_events, lake_error_events and lake_glitch_events (see postmortem/engine.py). Rows of a file
-- whose bookkeeping row is not committed yet (an ingest running or dead: postmortem/lake_write.py) are left out.
-- Same columns, in the same order, as queries/schema/tables.sql (tests/test_lake.py checks). Portable SQL: it
-- runs on DuckDB as written and on Spark through postmortem/dialect.py.

-- Files are numbered in the order they were ingested, as the DuckDB file numbers them. Event rows carry their
-- file's fingerprint (sha256) instead of a number; their file_id is NULL here, as for rows a database loaded
-- before it kept one: no question reads it, and joining it in turned every event scan into a join (at full
-- scale DuckDB ran out of memory building it).
create or replace temp view files as
select
    cast(row_number() over (order by ingested_at, sha256) as integer) as file_id,
    path, sha256, kind, format, bytes, lines_read, blank, loaded, rejected, duplicates, min_ts, max_ts, tz,
    clock_offset_s, ingested_at, seconds, continued, status, options
from lake_files;

create or replace temp view rejects as
select f.file_id, r.kind, r.line, r.reason, r.raw
from lake_rejects as r
join files as f using (sha256);

create or replace temp view join_events as
select
    e.ts, e.space_id, e.user_id, e.event, e.role, e.platform, e.region, e.edge, e.extra,
    cast(null as integer) as file_id
from lake_join_events as e
where e.sha256 in (select sha256 from lake_files);

create or replace temp view error_events as
select
    e.ts, e.service, e.level, e.message, e.code, e.space_id, e.server, e.user_id, e.extra,
    cast(null as integer) as file_id
from lake_error_events as e
where e.sha256 in (select sha256 from lake_files);

create or replace temp view glitch_events as
select
    e.ts, e.space_id, e.user_id, e.glitch, e.duration_ms, e.packet_loss, e.jitter_ms, e.platform, e.region,
    e.edge, e.extra, cast(null as integer) as file_id
from lake_glitch_events as e
where e.sha256 in (select sha256 from lake_files);
