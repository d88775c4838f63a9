-- CloudTrail log files (`{"Records":[...]}`, one document per line, as CloudTrail writes each file to S3) as one
-- JSON object per record, numbered by its line. A line that is no such document is handed on as written (the
-- records query rejects it with its reason). `written`: a record as the line holds it, what a reject keeps.
-- reads: numbered_lines (line, file_no, raw, pre_reason)   returns: line, file_no, raw, written, pre_reason
with docs as (
    select
        line, file_no, raw, pre_reason,
        case when pre_reason is null and json_valid(raw) then json_extract(raw, '$.Records[*]') end as records
    from numbered_lines
),

per_record as (
    select line, file_no, unnest(records)::varchar as raw, pre_reason
    from docs
    where len(records) > 0
)

select line, file_no, raw, raw as written, pre_reason from per_record
union all
select line, file_no, raw, raw as written, pre_reason from docs where coalesce(len(records), 0) = 0
