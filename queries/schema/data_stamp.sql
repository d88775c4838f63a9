-- What the derived tables must have been computed from to be read in place of the views (schema/derive): the
-- definitions they were computed by ($definitions, a hash of the view and derive scripts), the files loaded and
-- the rows of each event table. Only ingest writes these tables, and a file's id is never reused, so any load,
-- replacement or row removed changes it. params: $definitions   returns: stamp
select concat_ws(' ', $definitions,
    (select count(*) from files), (select coalesce(max(file_id), 0) from files),
    (select count(*) from join_events), (select count(*) from error_events), (select count(*) from glitch_events)
) as stamp
