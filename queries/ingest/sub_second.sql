-- Whether each file writes its timestamps below a second (a fraction, or epoch milli/micro/nanoseconds), judged
-- on its first records ($limit: 10,000 a file): `--dedup auto` keeps identical records of a log that does not.
-- reads: records   params: $parts, $alternatives, $constants, $defaults (the mapping plan), $limit
-- returns: file_no, sub_second
select
    file_no,
    coalesce(bool_or(ts_has_fraction(field_value(v, $parts, $alternatives, $constants, $defaults, 1))), false)
        as sub_second
from (select file_no, v from records where parse_error is null and not blank limit $limit)
group by file_no
