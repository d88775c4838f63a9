-- Records of each staged file that repeat an identical record of the same file (as written): their hashes, and
-- how many extra copies each has. Few rows; the append reads it to drop redeliveries (--dedup), ingest to decide
-- `auto`.
-- reads: staged   returns: a temp table repeated_hashes(file_no, source_hash, copies)
create or replace temp table repeated_hashes as
select file_no, source_hash, count(*) - 1 as copies
from staged
where reason is null
group by file_no, source_hash
having count(*) > 1
