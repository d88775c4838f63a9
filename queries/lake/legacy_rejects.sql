-- `lake convert`: the rejects of a lake of the earlier Parquet layout, by the private database's file_id.
-- params: $paths (its rejects/kind=*/<sha256>.parquet)
insert into rejects
select f.file_id, r.kind, r.line, r.reason, r.raw
from read_parquet($paths) as r
join files as f using (sha256)
