-- How many valid staged records repeat an identical record (as written) of the same file, for --dedup auto.
-- reads: staged   returns: repeats
select (count(*) - count(distinct source_hash))::bigint as repeats
from staged
where reason is null
