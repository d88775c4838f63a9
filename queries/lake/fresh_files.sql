-- The files a private ingest database loaded in this run (numbered after the rows copied from the lake).
-- params: $after (the highest file_id copied from the lake, 0 if none)
-- returns: file_id, path, sha256, kind, status, loaded, duplicates
select file_id, path, sha256, kind, status, loaded, duplicates from files where file_id > $after order by file_id
