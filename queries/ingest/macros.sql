-- Helpers of the ingest staging queries, created when ingest starts (temporary: this connection only).

-- Empty or only whitespace. trim() on every line costs; most lines start with a non-blank character.
create or replace temp macro is_blank(raw) as
    case when raw is null or raw = '' then true
         when left(raw, 1) in (' ', chr(9), chr(13)) then trim(raw, ' ' || chr(9) || chr(13)) = ''
         else false end;

-- Field i of a record: a --set constant, else its source parts joined with one space (`--map ts=Date+Time`),
-- else the first of up to five alternative sources that has a value (aliases such as ts/timestamp/time), else
-- a profile's default. An empty value is no value (an empty CSV cell, "" in JSON). v: the record's source
-- values; the rest: per-field lists bound from the mapping plan.
create or replace temp macro field_value(v, parts, alternatives, constants, defaults, i) as
    coalesce(
        constants[i],
        case when len(parts[i]) > 0 then nullif(array_to_string(list_select(v, parts[i]), ' '), '') end,
        nullif(coalesce(v[alternatives[i][1]], v[alternatives[i][2]], v[alternatives[i][3]], v[alternatives[i][4]],
                        v[alternatives[i][5]]), ''),
        defaults[i]
    );

-- A value the records query marked as a JSON object or array (where a field must hold one value).
create or replace temp macro is_container(x) as coalesce(left(x, 1) = chr(0), false);

-- An optional field's value as text: an object or array as its JSON (CLEF's `User` property is an object, read
-- as user_id by its alias): the record is kept and nothing is lost.
create or replace temp macro as_text(x) as case when is_container(x) then x[2:] else x end;

-- Timestamp text with a comma before the fraction (log4j's 17:41:44,747) read as a dot.
create or replace temp macro ts_decimal_point(v) as
    case when contains(v, ',') then regexp_replace(v, '(\d\d:\d\d:\d\d),(\d)', '\1.\2') else v end;

-- A trailing zone abbreviation DuckDB does not know (PDT, CEST ...) replaced by its offset; `zones`/`offsets`
-- are parallel lists bound from postmortem/log_times.py.
create or replace temp macro ts_zone_offset(v, zones, offsets) as
    case
        when not right(v, 1) between 'A' and 'Z' then v
        when regexp_matches(v, '\s[A-Z]{2,5}$')
             and list_position(zones, regexp_extract(v, '\s([A-Z]{2,5})$', 1)) is not null
            then regexp_replace(v, '\s[A-Z]{2,5}$', offsets[list_position(zones, regexp_extract(v, '\s([A-Z]{2,5})$', 1))])
        else v
    end;

-- Epoch seconds/milli/micro/nanoseconds by magnitude, from 1973 on (smaller numbers are counters or times of
-- day); see ts_iso.
create or replace temp macro epoch_ts(x) as
    case
        when x is null or not isfinite(x) or x < 1e8 or x >= 1e20 then null
        when x < 1e11 then to_timestamp(x)
        when x < 1e14 then to_timestamp(x / 1e3)
        when x < 1e17 then to_timestamp(x / 1e6)
        else to_timestamp(x / 1e9)
    end;

-- Normalised timestamp text (ts_normalised) that ts_iso and epoch_ts left NULL -> TIMESTAMPTZ, or NULL.
create or replace temp macro parse_ts_text(v, tz, formats, yearless, year) as
    case
        when regexp_matches(v, '^[+-]?\d{4,}-\d\d-\d\d([T ]\d\d:\d\d(:\d\d(\.\d+)?)?)?') then
            case
                -- a numeric offset after a space (logcat's `-v zone`: `... 11:20:07.171997 +1000`) is read joined
                when regexp_matches(v, '([Zz]|[+-]\d\d(:?\d\d)?|[A-Za-z][A-Za-z_]*(/[A-Za-z0-9_+-]+)*)\s*$')
                    then coalesce(
                        try_cast(v as timestamptz),
                        try_cast(regexp_replace(v, '\s+([+-]\d\d:?\d\d)$', '\1') as timestamptz)
                    )
                else timezone(tz, try_cast(v as timestamp))
            end
        else coalesce(
            case when regexp_matches(v, '([+-]\d\d:?\d\d|[Zz])\s*$') then try_strptime(v, formats)::timestamptz end,
            timezone(tz, try_strptime(v, formats)::timestamp),
            timezone(tz, try_strptime(year::varchar || ' ' || v, yearless)::timestamp)
        )
    end;

-- ISO-8601 timestamp text -> TIMESTAMPTZ (UTC instant) in one cast, or NULL: with a zone, or naive under --tz
-- UTC. The staging queries then read what this leaves NULL as an epoch number (epoch_ts), and only what that
-- leaves NULL through ts_normalised and parse_ts_text (most timestamps never need them). A zone in the text
-- always wins over `tz`.
create or replace temp macro ts_iso(v, tz) as
    -- only ISO dates (DuckDB's cast also reads `17/06/09` as the year 17), tested without a regex
    case when substr(v, 5, 1) <> '-' or substr(v, 8, 1) <> '-' then null
         when tz = 'UTC' then try_cast(v as timestamptz)
         when regexp_matches(v, '([Zz]|[+-]\d\d(:?\d\d)?|[A-Za-z][A-Za-z_]*(/[A-Za-z0-9_+-]+)*)\s*$')
             then try_cast(v as timestamptz) end;

-- Timestamp text as parse_ts_text reads it: trimmed, a comma before the fraction as a dot, a zone abbreviation
-- as its offset (the text normalised, then: naive ISO text read in zone `tz`; then `formats` in order, and
-- `yearless` formats (syslog) with `year` prepended).
create or replace temp macro ts_normalised(v, zones, offsets) as ts_zone_offset(ts_decimal_point(trim(v)), zones, offsets);

-- A CSV line with an odd number of quotes: it opens (or closes) a quoted field that spans lines.
create or replace temp macro odd_quotes(raw) as
    contains(raw, '"') and (length(raw) - length(replace(raw, '"', ''))) % 2 = 1;

-- A CSV line's cells as written (quoted ones keep their quotes). Most lines have no quote: a plain split.
-- field_pattern matches one cell after the line start or a delimiter (built from the delimiter in Python).
create or replace temp macro csv_fields(raw, delimiter, field_pattern) as
    case when not contains(raw, '"') then string_split(raw, delimiter)
         else regexp_extract_all(raw, field_pattern, 1) end;

-- A cell's value: quotes removed and doubled quotes undone; an empty cell is absent (NULL).
create or replace temp macro csv_cell(c) as
    case when c is null or c = '' then null
         when left(c, 1) = '"' and length(c) >= 2 and right(c, 1) = '"' then replace(c[2:-2], '""', '"')
         else c end;

-- Whether a timestamp as written resolves below one second (a fraction, or epoch milli/micro/nanoseconds):
-- `--dedup auto` keeps identical lines of a log that does not (see docs/log-format.md).
create or replace temp macro ts_has_fraction(v) as
    coalesce(regexp_matches(v, '\d:\d\d[.,]\d') or regexp_matches(v, '^\s*\d{12,}(\.\d*)?\s*$'), false);

-- "missing required field ts" / "missing required fields ts, service": every required field without a value.
create or replace temp macro missing_fields(names, vals) as
    'missing required field'
    || case when len(list_filter(vals, lambda x: x is null)) > 1 then 's ' else ' ' end
    || array_to_string(list_filter(names, lambda n, i: vals[i] is null), ', ');
