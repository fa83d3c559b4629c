DROP INDEX metric_values_period;
ALTER TABLE metric_values DROP COLUMN late, DROP COLUMN data_request_id;
DROP TABLE data_requests;
