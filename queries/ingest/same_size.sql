-- Whether a file of one of these sizes is already in the database (only then can a fingerprint match one, so
-- only then is the fingerprint awaited before the files are read).
-- params: $bytes (a list)   returns: files
select count(*) as files from files where bytes in (select unnest($bytes)) and status = 'loaded'
