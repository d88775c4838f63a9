-- The valid staged rows of the file (or batch) being appended: our columns, the record's hash as written and
-- its file's place in the batch. reads: staged
select * exclude (line, raw, reason) from staged where reason is null
