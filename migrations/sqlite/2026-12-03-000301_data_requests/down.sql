DROP INDEX metric_values_period;
ALTER TABLE metric_values DROP COLUMN late;
ALTER TABLE metric_values DROP COLUMN data_request_id;
DROP TABLE data_requests;
