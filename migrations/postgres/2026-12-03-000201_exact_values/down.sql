ALTER TABLE metrics DROP CONSTRAINT metrics_bounds_ordered;
ALTER TABLE metrics ADD COLUMN min_value double precision, ADD COLUMN max_value double precision;
UPDATE metrics SET min_value = min_hundredths / 100.0, max_value = max_hundredths / 100.0;
ALTER TABLE metrics DROP COLUMN min_hundredths, DROP COLUMN max_hundredths;
ALTER TABLE metrics ADD CHECK (min_value IS NULL OR max_value IS NULL OR min_value <= max_value);

ALTER TABLE metric_values ADD COLUMN value double precision;
UPDATE metric_values SET value = value_hundredths / 100.0;
ALTER TABLE metric_values ALTER COLUMN value SET NOT NULL;
ALTER TABLE metric_values DROP COLUMN value_hundredths;
