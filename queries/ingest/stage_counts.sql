-- What a staged file holds before it is appended (blank and continuation lines never reach `staged`).
-- reads: staged   returns: valid, rejected, min_ts, max_ts
select
    count(*) filter (where reason is null) as valid,
    count(*) filter (where reason is not null) as rejected,
    min(ts) as min_ts,
    max(ts) as max_ts
from staged
order by valid
