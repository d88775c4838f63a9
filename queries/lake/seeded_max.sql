-- The highest file_id in a private ingest database (0 when empty).
-- params: none
-- returns: file_id
select coalesce(max(file_id), 0) as file_id from files
