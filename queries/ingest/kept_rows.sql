-- The fresh rows less each file's redeliveries: identical records of one file (as written, found by their hash
-- and compared column by column only where hashes meet) count once where $within says so for that file.
-- reads: fresh_rows, repeated_hashes   params: $within (by file_no)   returns: our columns and file_no
with repeated as (
    select file_no, source_hash from repeated_hashes where $within[file_no + 1]
),

kept as (
    select * from fresh_rows anti join repeated using (file_no, source_hash)
    union all
    select distinct * from fresh_rows semi join repeated using (file_no, source_hash)
)

select * exclude (source_hash) from kept
