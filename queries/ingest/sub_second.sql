-- Whether each file writes its timestamps below a second (a fraction, or epoch milli/micro/nanoseconds), judged
-- on its first 10,000 lines: `--dedup auto` keeps identical records of a log that does not.
-- reads: records   params: $parts, $alternatives, $constants, $defaults (the mapping plan), $first_lines (by file_no)
-- returns: file_no, sub_second
select
    file_no,
    coalesce(bool_or(ts_has_fraction(field_value(v, $parts, $alternatives, $constants, $defaults, 1))), false)
        as sub_second
from records
where parse_error is null
    and line < list_max($first_lines) + 10000  -- a constant bound: the scan skips the rest of a big file
    and line < $first_lines[file_no + 1] + 10000
group by file_no
