ALTER TABLE api_clients DROP COLUMN secret_generation;
ALTER TABLE api_clients DROP COLUMN rate_limit_burst;
ALTER TABLE api_clients DROP COLUMN rate_limit_per_minute;
