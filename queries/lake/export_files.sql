-- The bookkeeping row of a freshly ingested file as the lake stores it, with the rows the lake's merge
-- inserted ($loaded) and the records it held already counted as duplicates ($duplicates). Written last: a
-- file is in the lake exactly when this row is. No row for file_id -1 (the table's columns, to create it).
-- params: $file_id, $loaded, $duplicates
select
    * exclude (file_id)
    replace (
        cast($loaded as bigint) as loaded, cast($duplicates as bigint) as duplicates, cast(options as varchar) as options
    )
from files
where file_id = $file_id
