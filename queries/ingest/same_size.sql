-- Whether a file of this many bytes is already in the database (only then can its fingerprint match one, so
-- only then is the fingerprint awaited before the file is read).
-- params: $bytes   returns: files
select count(*) as files from files where bytes = $bytes and status = 'loaded'
