-- The stamp of the data the derived tables were computed from (schema/data_stamp), or NULL where ingest has not
-- kept them. params: none   returns: stamp
select max(value) as stamp from meta where key = 'derived_for'
