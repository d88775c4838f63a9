-- Writes an empty Parquet file with one table's columns, so a lake reader knows every table's shape even
-- when no file of that kind was ingested.
-- params: $table, $path (a file)
copy (select * from query_table($table) limit 0) to $path (format parquet)
