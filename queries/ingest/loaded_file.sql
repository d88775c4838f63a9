-- Whether a file with this content is already in the database, and how it went.
-- params: $sha256   returns: file_id, kind, status
select file_id, kind, status from files where sha256 = $sha256 order by file_id
