-- Materialises the shared derived views once for a run of many questions (the report): each view is
-- computed into a temp table and the view is pointed at it, so every query that reads it by name reuses it.
-- Only for connections that will not load more data (the report opens the database read-only).
create or replace temp table cached_space_bounds as select * from space_bounds;
create or replace temp view space_bounds as select * from cached_space_bounds;

create or replace temp table cached_presence_events as select * from presence_events;
create or replace temp view presence_events as select * from cached_presence_events;

create or replace temp table cached_sessions as select * from sessions;
create or replace temp view sessions as select * from cached_sessions;

create or replace temp table cached_presence_minutes as select * from presence_minutes;
create or replace temp view presence_minutes as select * from cached_presence_minutes;

create or replace temp table cached_space_minutes as select * from space_minutes;
create or replace temp view space_minutes as select * from cached_space_minutes;
