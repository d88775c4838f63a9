-- Keeps every record that failed a check, with its reason and raw text (see keep_rejected).
-- reads: rejected   params: $file_id, $kind
insert into rejects
select $file_id, $kind, line, reason, raw from rejected order by line
