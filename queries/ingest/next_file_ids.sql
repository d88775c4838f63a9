-- File ids for the files about to be appended, in order. params: $files   returns: file_id
select nextval('file_ids')::integer as file_id from range($files) order by range
