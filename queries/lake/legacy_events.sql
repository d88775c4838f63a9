-- `lake convert`: the event rows of one table of a lake of the earlier Parquet layout, with the private
-- database's file_id of their file in place of its fingerprint. Rows of a file that has no bookkeeping row
-- (an ingest that died) were never read in that layout and are left behind here too.
-- params: $paths (the table's day=*/<sha256>.data_N.parquet)   returns: the table's columns, file_id last
select e.* exclude (sha256), f.file_id
from read_parquet($paths, hive_partitioning = false) as e
join files as f using (sha256)
