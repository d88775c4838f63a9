-- One file's rows of an event table as the lake stores them: the file's fingerprint (sha256) instead of the
-- private database's file_id, and the record's hash: md5 of every stored column written as one JSON object,
-- by which a record another file already delivered is known (the database file compares the same columns).
-- `extra` as text: Delta has no JSON type. No rows for file_id -1 (the table's columns, to create it).
-- params: $table (join_events, error_events or glitch_events), $file_id, $sha256
with stored as (
    select * exclude (file_id) replace (cast(extra as varchar) as extra)
    from query_table($table)
    where file_id = $file_id
)

select s.*, $sha256 as sha256, md5(to_json(s)) as record_hash
from stored as s
