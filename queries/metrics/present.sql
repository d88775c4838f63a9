-- Whether this connection has metric points to judge (a DuckDB database with the metric_minutes view; a Parquet
-- lake holds none). params: none   returns: present
select exists (select 1 from duckdb_views() where view_name = 'metric_minutes')
    and exists (select 1 from duckdb_tables() where table_name = 'metric_points') as present
