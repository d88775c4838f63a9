-- What the first records of a JSON log hold that costs a per-record check: a key that appears twice in one
-- object, or an object/array where a mapped field should hold one value. When any of them does, every record
-- is checked (records_json: $check_duplicates, $check_nested).
-- reads: json_lines   params: $sources, $limit   returns: duplicates, nested
with sample as (
    select raw from json_lines
    where not is_blank(raw) and pre_reason is null and json_valid(raw) and left(ltrim(raw), 1) = '{'
    limit $limit
)
select
    coalesce(bool_or(len(json_keys(raw)) <> list_unique(json_keys(raw))), false) as duplicates,
    coalesce(bool_or(list_bool_or(list_transform(json_extract(raw, $sources),
                                                 lambda j: json_type(j) in ('OBJECT', 'ARRAY')))), false) as nested
from sample
