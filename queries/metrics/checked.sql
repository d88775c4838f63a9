-- Each staged point checked: its reject reason (the first check it fails), or none. Times move by the file's clock
-- offset. A value written with thousands separators (1,234.5) is read without them. A rejected point without its
-- text from the reader (JSON: written from its parts here; text lines: read again, reject_lines.sql) gets one.
-- params: $clock_offset_s
create or replace temp table metric_checked as
with read_ as (
    select
        ord, name, labels, ts + to_microseconds(cast(round($clock_offset_s * 1e6) as bigint)) as ts, ts_text,
        value_text, type, raw, problem,
        try_cast(
            case when contains(value_text, ',') and regexp_full_match(trim(value_text), '[+-]?\d{1,3}(,\d{3})+(\.\d+)?')
                 then replace(value_text, ',', '')
                 else trim(value_text) end as double
        ) as value
    from metric_staged
),
judged as (
    select
        *,
        case
            when name is null then 'not a sample line (name{labels} value timestamp)'
            when trim(name) = '' then 'no metric name'
            when problem is not null then problem
            when ts_text is null then 'no timestamp'
            when ts is null then 'unreadable timestamp'
            when value_text is null or lower(trim(value_text)) in ('', 'null') then 'no value'
            when value is null then 'value is not a number'
            when isnan(value) or isinf(value) then 'value is not finite (NaN or Inf)'
        end as reason
    from read_
)
select
    ord,
    name,
    labels,
    ts,
    value,
    type,
    case
        when reason is not null
            then coalesce(raw, left('[' || coalesce(ts_text, 'null') || ', "' || coalesce(value_text, 'null') || '"]', 200))
    end as raw,
    reason
from judged
