-- Whether this database keeps the WebRTC tables (a lake or Spark does not: its report leaves the dumps' audio
-- out). params: none   returns: present
select count(*) > 0 as present from duckdb_tables() where table_name = 'webrtc_quality' and not temporary
