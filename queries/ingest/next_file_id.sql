-- A new file id (the rows a file loads carry it). returns: file_id
select nextval('file_ids')::integer as file_id
