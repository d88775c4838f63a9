-- The most common reject reasons of the staged file, for the summary of a file that loaded nothing.
-- reads: staged   returns: reason, lines
select reason, count(*) as lines
from staged
where reason is not null
group by reason
order by lines desc, reason
limit 3
