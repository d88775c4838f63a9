-- Whether the database keeps derived tables (schema/derive) at all: a lake, read through views over its
-- Parquet files, has neither them nor the `meta` table their stamp is in. params: none   returns: kept
select count(*) > 0 as kept
from duckdb_tables()
where database_name = current_database() and schema_name = 'derived'
