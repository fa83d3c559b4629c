DROP TABLE raised_events;
DROP TABLE webhook_deliveries;
DROP TABLE webhook_cursors;
DROP TABLE webhooks;
ALTER TABLE audit_events DROP COLUMN version;
