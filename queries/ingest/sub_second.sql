-- Whether the file writes its timestamps below a second (a fraction, or epoch milli/micro/nanoseconds), judged
-- on its first 10,000 records: `--dedup auto` keeps identical records of a log that does not.
-- reads: records   params: $parts, $alternatives, $constants, $defaults (the mapping plan)   returns: sub_second
select coalesce(bool_or(ts_has_fraction(field_value(v, $parts, $alternatives, $constants, $defaults, 1))), false)
    as sub_second
from records
where parse_error is null and line <= 10000
