-- The first batch of lines split in Python (the exact fallback of lines_of_files) starts `source_lines`.
-- reads: fallback_batch (a registered frame: raw, pre_reason)
create or replace temp table source_lines as select raw, pre_reason, 0 as file_no from fallback_batch
