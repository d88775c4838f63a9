-- Keeps every staged line that failed a check, with its reason and raw text.
-- reads: staged   params: $file_id, $kind
insert into rejects
select $file_id, $kind, line, reason, raw from staged where reason is not null order by line
