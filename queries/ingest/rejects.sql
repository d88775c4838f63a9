-- Appends the staged files' rejected records, each with its file's id and its line number in that file.
-- reads: rejected   params: $file_ids, $first_lines (each file's first line in source_lines, by file_no), $kind
insert into rejects
select $file_ids[file_no + 1], $kind, line - $first_lines[file_no + 1] + 1, reason, raw
from rejected
order by file_no, line
