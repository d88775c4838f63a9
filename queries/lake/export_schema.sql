-- Writes an empty Parquet file with the columns of one event table as the lake stores it (see
-- export_events), so a reader knows every table's shape even when no file of that kind was ingested.
-- params: $table, $path (a file)
copy (select * exclude (file_id), '' as sha256 from query_table($table) limit 0) to $path (format parquet)
