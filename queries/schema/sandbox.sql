-- DuckDB's own switches for SQL a user types (`postmortem sql`), set after the session and views are in
-- place: no other file, no network, no extension install or autoload, and the configuration locked so no
-- SET can undo them. The connection is also opened read-only. External access off forbids reading any
-- other file, so only this connection gets it.
set enable_external_access = false;
set autoinstall_known_extensions = false;
set autoload_known_extensions = false;
set lock_configuration = true;
