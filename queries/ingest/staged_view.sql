-- The checked records of the file (or batch) being loaded, as every later step reads them: staged_lines less
-- its blank lines. A row without a line number came from one pass over the file's lines, one row per line in
-- order, so its rowid gives the number.
create or replace temp view staged as
select * exclude (blank) replace (coalesce(line, rowid + 1) as line)
from staged_lines
where not blank
