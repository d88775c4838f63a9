-- Every rejected line: file, line number, reason and the raw text as given.
-- params: none
-- returns: path, kind, line, reason, raw
select f.path, r.kind, r.line, r.reason, r.raw
from rejects as r
join files as f using (file_id)
order by r.file_id, r.line
