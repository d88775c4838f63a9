-- Helpers shared by the ingest staging queries. Temporary: recreated on every connection, read-only ones included.

-- A timestamp field as text -> TIMESTAMPTZ (UTC instant), or NULL when it does not parse.
-- Numbers are epoch seconds, milliseconds or microseconds by magnitude (beyond 1e17 is nonsense: NULL).
-- Text with `Z` or an offset keeps its offset (a cast to plain TIMESTAMP would silently drop it); naive text
-- is read in zone `tz`. The session zone is UTC, so for tz = 'UTC' one TIMESTAMPTZ cast covers both.
create or replace temp macro parse_ts(v, tz) as
    case
        when try_cast(v as double) is not null then
            case
                when not isfinite(try_cast(v as double)) or abs(try_cast(v as double)) >= 1e17 then null
                when abs(try_cast(v as double)) < 1e11 then to_timestamp(try_cast(v as double))
                when abs(try_cast(v as double)) < 1e14 then to_timestamp(try_cast(v as double) / 1e3)
                else to_timestamp(try_cast(v as double) / 1e6)
            end
        when tz = 'UTC' or regexp_matches(v, '([Zz]|[+-]\d\d(:?\d\d)?|[A-Za-z]+/[A-Za-z_]+)\s*$')
            then try_cast(v as timestamptz)
        else timezone(tz, try_cast(v as timestamp))
    end;

-- The batch of lines being ingested: a view over the Arrow frame registered as `source_batch` (see
-- postmortem/sources.py), so raw text is never copied into a table; deleted rows of a temp table kept their
-- memory until the file was done.
create or replace temp view source_lines as select * from source_batch;

-- Empty or only whitespace. trim() on every line cost half the staging time; most lines start with `{`.
create or replace temp macro is_blank(raw) as
    case when raw is null or raw = '' then true when left(raw, 1) in (' ', chr(9)) then trim(raw) = '' else false end;

-- Source lines parsed once: `fields` is the object's known keys (spec: a JSON struct type with every field
-- as VARCHAR; nested values come back as their JSON text), `extra` its unknown keys as a JSON object.
-- Blank lines are left out (ingest counts them from source_lines).
create or replace temp macro parsed_lines(spec, known) as table
select
    line, raw, pre_reason, text,
    case
        when pre_reason is not null or not json_valid(text) then null
        when left(ltrim(text), 1) = '{' then 'OBJECT'
        else 'OTHER'
    end as doc_type,
    case when doc_type = 'OBJECT' then json_transform(text, spec) end as fields,
    case when doc_type = 'OBJECT' then list_filter(json_keys(text), lambda k: not list_contains(known, k)) end
        as unknown_keys,
    case
        when len(unknown_keys) > 0 then
            to_json(map_from_entries(list_filter(map_entries(json_transform(text, '"MAP(VARCHAR, JSON)"')),
                                                 lambda e: list_contains(unknown_keys, e.key))))
    end as extra
from (select line, raw, pre_reason, coalesce(doc, raw) as text from source_lines)
where not is_blank(raw);

-- True when field `key` of the JSON object `text` (whose value read as text is `v`) is an object or array.
-- Only values that start like one are checked, so the extra parse is rare.
create or replace temp macro is_nested(text, key, v) as
    case when left(v, 1) in ('{', '[') then coalesce(json_type(text, '$."' || key || '"') in ('OBJECT', 'ARRAY'), false)
         else false end;
