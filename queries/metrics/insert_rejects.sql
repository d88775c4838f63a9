-- Appends the staged file's rejected points, each with its line number (text and CSV exports) or its ordinal in
-- the document (JSON exports), reason and text. params: $file_id
insert into rejects
select $file_id, 'metric', ord, reason, raw from metric_checked where reason is not null order by ord
