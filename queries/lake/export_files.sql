-- Writes the bookkeeping row of a freshly ingested file. It is published last: a file is in the lake exactly
-- when this row is, so a crashed or running ingest is invisible to readers and a re-run repairs it.
-- params: $file_id, $path (a file)
copy (select * exclude (file_id) from files where file_id = $file_id) to $path (format parquet)
