-- A Parquet file's rows as JSON objects, one per line in file order (rowid + 1 numbers them), so the JSON
-- records query reads Parquet too. DuckDB streams the file; the table spills beyond the memory limit.
-- params: $path
create or replace temp table source_lines as
select to_json(t)::varchar as raw, null::varchar as pre_reason, 0 as file_no
from read_parquet($path) as t
