-- Whether the file's timestamps are written without a year (syslog's `Jun 14 15:16:01`, a --ts-format or a
-- profile's format such as '%m-%d %H:%M:%S.%f'): text that no format with a year reads and a year-less one does,
-- once a year is prepended (as parse_ts_text reads it), so the summary can say which year they took.
-- reads: records   params: $at (the ts source's position in v; 0 when none), $ts_formats, $yearless_formats
-- returns: yearless
with texts as (
    select ts_decimal_point(trim(v[$at])) as ts_text from records where $at > 0 limit 1000
)

select coalesce(bool_or(
    try_strptime(ts_text, $ts_formats) is null
    and try_strptime('2000 ' || ts_text, $yearless_formats) is not null
), false) as yearless
from texts
