-- The rejected records with their raw text as written: the physical line (from source_lines), or for a record
-- spanning lines (a quoted CSV field, a stack trace) the joined lines. Kept apart so the raw lines and parsed
-- records (most of a big file's memory) can be dropped before the rows are appended.
-- reads: staged, source_lines   returns: a temp table rejected(file_no, line, reason, raw)
create or replace temp table rejected as
with failed as (
    select file_no, line, reason, raw from staged where reason is not null
)
select f.file_no, f.line, f.reason, coalesce(f.raw, s.raw) as raw
from failed as f
left join (select rowid + 1 as line, raw from source_lines) as s
    on s.line = f.line
