-- What a staged file holds before it is appended (blank and continuation lines never reach `staged`).
-- reads: staged   returns: valid, rejected, min_ts, max_ts, sub_second (any timestamp written below a second)
select
    count(*) filter (where reason is null) as valid,
    count(*) filter (where reason is not null) as rejected,
    min(ts) as min_ts,
    max(ts) as max_ts,
    coalesce(bool_or(ts_fraction) filter (where reason is null), false) as sub_second
from staged
order by valid
