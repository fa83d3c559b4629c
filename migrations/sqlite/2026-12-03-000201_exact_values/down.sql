UPDATE metrics SET min_value = min_hundredths / 100.0, max_value = max_hundredths / 100.0;
ALTER TABLE metrics DROP COLUMN max_hundredths;
ALTER TABLE metrics DROP COLUMN min_hundredths;

ALTER TABLE metric_values ADD COLUMN value double precision NOT NULL DEFAULT 0;
UPDATE metric_values SET value = value_hundredths / 100.0;
ALTER TABLE metric_values DROP COLUMN value_hundredths;
