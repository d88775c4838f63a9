-- Keeps every staged record that failed a check, with its reason and raw text as written: the physical line
-- (from source_lines), or for a record spanning lines (a quoted CSV field, a stack trace) the joined lines.
-- reads: staged, source_lines   params: $file_id, $kind
insert into rejects
with failed as (
    select line, reason, raw from staged where reason is not null
)
select $file_id, $kind, f.line, f.reason, coalesce(f.raw, s.raw)
from failed as f
left join (select rowid + 1 as line, raw from source_lines) as s
    on s.line = f.line
order by f.line
