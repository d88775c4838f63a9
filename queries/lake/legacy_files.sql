-- `lake convert`: the bookkeeping rows of a lake of the earlier Parquet layout, into the private database
-- that republishes them (numbered in the order they were ingested, as that layout's readers numbered them).
-- params: $paths (its files/kind=*/<sha256>.parquet)
insert into files by name
select * from read_parquet($paths) order by ingested_at, sha256
