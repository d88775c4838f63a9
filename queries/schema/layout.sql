-- The tables (and views) of a database's main schema with their columns, to tell our database from a
-- foreign one before anything is written to it. addable: the column could have been added to a table
-- holding rows by `alter table ... add column` (it is nullable or has a default).
-- params: none
-- returns: table_name, column_name, data_type, addable
select table_name, column_name, data_type, is_nullable or column_default is not null as addable
from duckdb_columns()
where database_name = current_database() and schema_name = 'main' and not internal
order by table_name, column_index
