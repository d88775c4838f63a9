-- The schema version recorded by `schema/tables` (null in a database written before versions were kept).
-- params: none
-- returns: schema_version
select max(value) as schema_version from meta where key = 'schema_version'
