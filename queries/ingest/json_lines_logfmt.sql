-- logfmt lines (`ts=... level=info msg="a b"`) as JSON objects, so one records query reads both. Values keep
-- their text; quoted ones lose their quotes and escapes. A line with no key=value pair, or a key twice, is not
-- an object: rejected with that reason. `written` is the line as written, what a reject keeps.
-- reads: numbered_lines (line, file_no, raw, pre_reason)   returns: line, file_no, raw, written, pre_reason
with pairs as (
    select
        line, file_no, raw, pre_reason,
        regexp_extract_all(raw, '(?:^|\s)([A-Za-z_@][\w.@/-]*)=("(?:[^"\\]|\\.)*"|[^\s"]*)', 1) as keys,
        regexp_extract_all(raw, '(?:^|\s)([A-Za-z_@][\w.@/-]*)=("(?:[^"\\]|\\.)*"|[^\s"]*)', 2) as vals
    from numbered_lines
)
select
    line, file_no,
    case
        when is_blank(raw) then raw
        when len(keys) = 0 or len(keys) <> len(list_distinct(keys)) then raw
        else to_json(map(keys, list_transform(vals, lambda x: case
            when left(x, 1) = '"' then replace(replace(x[2:-2], '\"', '"'), '\\', '\')
            else x end)))::varchar
    end as raw,
    raw as written,
    coalesce(pre_reason, case
        when is_blank(raw) then null
        when len(keys) = 0 then 'not a logfmt line (no key=value pair)'
        when len(keys) <> len(list_distinct(keys)) then 'a key appears twice in the logfmt line'
    end) as pre_reason
from pairs
