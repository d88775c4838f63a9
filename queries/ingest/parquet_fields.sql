-- The column names of a Parquet file (for telling which log it is). params: $path   returns: field
select name as field from parquet_schema($path) where name <> 'duckdb_schema' order by field
