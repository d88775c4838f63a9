-- OTLP JSON (one ExportLogsServiceRequest per line, as the OpenTelemetry collector's file exporter writes it) as
-- one JSON object per logRecord, numbered by its line: the record's own fields plus its resource's service.name.
-- A line that is no OTLP document is handed on as written (the records query rejects it with its reason).
-- `written`: a logRecord as the line holds it (without the service added), what a reject keeps.
-- reads: numbered_lines (line, file_no, raw, pre_reason)   returns: line, file_no, raw, written, pre_reason
with docs as (
    select
        line, file_no, raw, pre_reason,
        case when pre_reason is null and json_valid(raw) then json_extract(raw, '$.resourceLogs[*]') end as resources
    from numbered_lines
),

per_resource as (
    select line, file_no, pre_reason, unnest(resources) as resource
    from docs
    where len(resources) > 0
),

per_record as (
    select
        line, file_no, pre_reason,
        list_filter(json_extract(resource, '$.resource.attributes[*]'),
                    lambda a: a ->> 'key' = 'service.name')[1] -> 'value' ->> 'stringValue' as service,
        unnest(json_extract(resource, '$.scopeLogs[*].logRecords[*]')) as record
    from per_resource
)

select
    line, file_no, json_merge_patch(record, json_object('service.name', service))::varchar as raw,
    record::varchar as written, pre_reason
from per_record
union all
select line, file_no, raw, raw as written, pre_reason from docs where coalesce(len(resources), 0) = 0
