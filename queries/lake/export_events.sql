-- Writes one event table of a freshly ingested file to Parquet, one folder per UTC day (`day=YYYY-MM-DD`).
-- The day is a folder name only: the files hold exactly the table's columns.
-- params: $table (join_events, error_events or glitch_events), $path (a folder)
copy (
    select *, strftime(ts, '%Y-%m-%d') as day from query_table($table)
) to $path (format parquet, compression zstd, partition_by (day), overwrite_or_ignore true)
