-- A Parquet file as source lines: each row becomes a JSON object, numbered in file order.
-- params: $path   returns: line, raw, doc, pre_reason
select
    row_number() over () as line,
    to_json(t)::varchar as raw,
    null::varchar as doc,
    null::varchar as pre_reason
from read_parquet($path) as t
