-- Records the stamp of the data the derived tables were just computed from (schema/derive). params: $stamp
insert or replace into meta values ('derived_for', $stamp)
