-- Records with their timestamp read, for every kind's checks: `ts_text` (our field `ts`, the first of every
-- kind's mapping, as written) and `ts_read` (the UTC instant, or NULL where it does not parse). The cheap
-- routes first: an ISO-8601 cast, then a number as epoch time, each only where the one before gave nothing
-- (columns of their own, computed under CASE for those rows alone: inside one expression DuckDB would compute
-- them for every row); then the text normalised and read by the formats (see macros.sql).
-- reads: records   params: $parts, $alternatives, $constants, $defaults (the mapping plan), $tz, $ts_formats,
--                          $yearless_formats, $year, $zones, $offsets, $clock_offset_us
with texts as (
    select *, field_value(v, $parts, $alternatives, $constants, $defaults, 1) as ts_text from records
),

iso as (
    select *, ts_iso(ts_text, $tz) as ts_iso from texts
),

timed as (
    select
        * exclude (ts_iso),
        coalesce(ts_iso, epoch_ts(case when ts_iso is null then try_cast(ts_text as double) end)) as ts_fast
    from iso
),

normalised as (
    select *, case when ts_fast is null then ts_normalised(ts_text, $zones, $offsets) end as ts_norm from timed
)

select
    * exclude (ts_fast, ts_norm),
    coalesce(ts_fast, parse_ts_text(ts_norm, $tz, $ts_formats, $yearless_formats, $year))
        + to_microseconds($clock_offset_us) as ts_read
from normalised
