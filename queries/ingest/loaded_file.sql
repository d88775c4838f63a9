-- What the database holds of files with these contents, and how each went.
-- params: $sha256 (a list)   returns: sha256, file_id, kind, status
select sha256, file_id, kind, status from files where sha256 in (select unnest($sha256)) order by file_id
