DROP INDEX audit_events_platform_seq;
DROP INDEX audit_events_seq;
ALTER TABLE audit_events DROP COLUMN seq;
DROP TABLE counters;
