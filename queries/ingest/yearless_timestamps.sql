-- Whether the file's timestamps are written without a year (syslog's `Jun 14 15:16:01`).
-- reads: records   params: $at (the ts source's position in v; 0 when none)   returns: yearless
select coalesce(bool_or(regexp_matches(v[$at], '^[A-Z][a-z]{2} +\d{1,2} \d\d:\d\d:\d\d')), false) as yearless
from (select v from records where $at > 0 limit 1000)
