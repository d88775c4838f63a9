-- Appends the staged file's valid points. A point of a series already held at the same instant (an export
-- overlapping one loaded before, or a point repeated in the file) is a duplicate and is not added again.
-- params: $file_id   returns: the rows inserted
insert into metric_points
select $file_id, name, labels, ts, arg_min(value, ord), arg_min(type, ord)
from metric_checked as c
where reason is null
    and not exists (
        select 1 from metric_points as p where p.name = c.name and p.labels = c.labels and p.ts = c.ts
    )
group by name, labels, ts
