-- A CSV file's lines as its records, one row per line in order, for one pass over the file: exact while no line
-- holds an odd number of quotes (no quoted field spans lines). Such a line is marked with the reason $spanning,
-- and staging then reads the file's lines into a table and joins them instead (csv_joined_lines). Blank lines
-- and the lines up to the header (where they are numbered: the first lines sampled) stay rows, marked `blank`.
-- reads: numbered_lines   params: $header_line, $spanning
-- returns: line, file_no, blank, text, raw (NULL: no record spans lines), line_raw, pre_reason
select
    line, file_no,
    is_blank(raw) or coalesce(line <= $header_line, false) as blank,
    raw as text,
    null::varchar as raw,
    raw as line_raw,
    coalesce(pre_reason,
             case when odd_quotes(raw) then $spanning end) as pre_reason
from numbered_lines
