-- Helpers shared by the ingest staging queries. Temporary: recreated on every connection, read-only ones included.

-- A timestamp field as text -> TIMESTAMPTZ (UTC instant), or NULL when it does not parse.
-- Numbers are epoch seconds, milliseconds or microseconds by magnitude. Text with `Z` or an offset keeps
-- its offset (a cast to plain TIMESTAMP would silently drop it); naive text is read in zone `tz`.
create or replace temp macro parse_ts(v, tz) as
    case
        when regexp_full_match(v, '\s*-?\d+(\.\d+)?\s*') then
            case
                when abs(try_cast(v as double)) < 1e11 then to_timestamp(try_cast(v as double))
                when abs(try_cast(v as double)) < 1e14 then to_timestamp(try_cast(v as double) / 1e3)
                else to_timestamp(try_cast(v as double) / 1e6)
            end
        when regexp_matches(v, '([Zz]|[+-]\d\d(:?\d\d)?|[A-Za-z]+/[A-Za-z_]+)\s*$') then try_cast(v as timestamptz)
        else timezone(tz, try_cast(v as timestamp))
    end;

-- The fields of a JSON object whose keys are not in `known`, as a JSON object; NULL when there are none.
create or replace temp macro extra_fields(j, known) as
    case
        when len(list_filter(json_keys(j), lambda k: not list_contains(known, k))) > 0 then
            to_json(map_from_entries(list_filter(
                map_entries(json_transform(j, '"MAP(VARCHAR, JSON)"')),
                lambda e: not list_contains(known, e.key))))
    end;

-- A JSON field that must be a scalar: its text, or the marker '<nested>' for objects and arrays.
create or replace temp macro scalar_text(j, key) as
    case when json_type(j, key) in ('OBJECT', 'ARRAY') then '<nested>' else j ->> key end;
