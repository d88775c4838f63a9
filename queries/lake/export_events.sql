-- Writes one event table of a freshly ingested file to Parquet, one folder per UTC day (`day=YYYY-MM-DD`).
-- The private database's file_id means nothing in the lake: rows carry the file's fingerprint instead (one
-- value per file, dictionary-encoded to a few bytes); the day is a folder name only, not a column.
-- params: $table (join_events, error_events or glitch_events), $file_id, $sha256, $path (a folder)
copy (
    select * exclude (file_id), $sha256 as sha256, strftime(ts, '%Y-%m-%d') as day
    from query_table($table)
    where file_id = $file_id
) to $path (format parquet, compression zstd, partition_by (day), overwrite_or_ignore true)
