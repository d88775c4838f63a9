-- The first lines of the files (a batch's in order): what the sampling queries read (fields, checks, levels,
-- timestamp forms) where the files themselves are staged in one pass, so that a compressed file is not
-- decompressed again for each. reads: lines_of_files   params: $limit
select raw, pre_reason, file_no from lines_of_files limit $limit
