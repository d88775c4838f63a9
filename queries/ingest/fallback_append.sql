-- Each further batch of lines split in Python, appended in file order (rowid + 1 stays the line number).
-- reads: fallback_batch
insert into source_lines select raw, pre_reason, 0 as file_no from fallback_batch
