-- The three commonest reject reasons of each staged file, for its summary line and hint.
-- reads: staged   returns: file_no, reason, lines
select file_no, reason, count(*) as lines
from staged
where reason is not null
group by file_no, reason
qualify row_number() over (partition by file_no order by lines desc, reason) <= 3
order by file_no, lines desc, reason
