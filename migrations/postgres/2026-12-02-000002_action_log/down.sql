DROP TABLE minutes_snapshots;
DROP TABLE action_updates;
DROP TABLE actions;
ALTER TABLE partnerships DROP COLUMN action_reference_format;
