-- What each staged file holds before it is appended (blank and continuation lines never reach `staged`).
-- reads: staged   returns: file_no, valid, rejected, min_ts, max_ts (a file with no record has no row)
select
    file_no,
    count(*) filter (where reason is null) as valid,
    count(*) filter (where reason is not null) as rejected,
    min(ts) as min_ts,
    max(ts) as max_ts
from staged
group by file_no
order by file_no
