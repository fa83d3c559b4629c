DROP TABLE idempotency_keys;
DROP TABLE audit_events;
DROP TABLE partnership_groups;
DROP TABLE people;
DROP TABLE partnership_members;
DROP TABLE organisations;
DROP TABLE partnerships;
