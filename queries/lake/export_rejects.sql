-- The rejects of a freshly ingested file, keyed by the file's content fingerprint instead of the private
-- database's file_id (a lake has no shared sequence; its readers number the files).
-- params: $file_id
select f.sha256, r.kind, r.line, r.reason, r.raw
from rejects as r
join files as f using (file_id)
where r.file_id = $file_id
order by r.line
