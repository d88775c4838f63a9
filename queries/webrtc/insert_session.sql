-- Appends one dump's session: who recorded it, in which room, from where (its metadata, or --set).
-- params: $file_id, $format, $space_id, $user_id, $role, $platform, $region, $edge, $user_agent
insert into webrtc_sessions
values ($file_id, $format, $space_id, $user_id, $role, $platform, $region, $edge, $user_agent)
