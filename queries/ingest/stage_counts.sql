-- What each staged file holds before it is appended (blank lines never reach `staged`): its valid and rejected
-- records, the lines joined to the record above them (a quoted CSV field, a stack trace), its time range.
-- reads: staged   returns: file_no, valid, rejected, continued, min_ts, max_ts (a file with no record has no row)
select
    file_no,
    count(*) filter (where reason is null) as valid,
    count(*) filter (where reason is not null) as rejected,
    coalesce(sum(len(string_split(raw, chr(10))) - 1) filter (where raw is not null), 0)::bigint as continued,
    min(ts) as min_ts,
    max(ts) as max_ts
from staged
group by file_no
order by file_no
