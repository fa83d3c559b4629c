-- Exact performance data: every value, and a metric's bounds, as a whole
-- number of hundredths (12.5 is 1250), so that totals and averages show no
-- binary noise. Values held with more than two decimal places (none could be
-- submitted as such by the rules of their units, but doubles were stored)
-- are rounded to two.

ALTER TABLE metric_values ADD COLUMN value_hundredths bigint;
UPDATE metric_values SET value_hundredths = round(value * 100)::bigint;
ALTER TABLE metric_values ALTER COLUMN value_hundredths SET NOT NULL;
ALTER TABLE metric_values DROP COLUMN value;

ALTER TABLE metrics ADD COLUMN min_hundredths bigint, ADD COLUMN max_hundredths bigint;
UPDATE metrics SET min_hundredths = round(min_value * 100)::bigint,
                   max_hundredths = round(max_value * 100)::bigint;
-- Dropping the columns drops the check that compared them.
ALTER TABLE metrics DROP COLUMN min_value, DROP COLUMN max_value;
ALTER TABLE metrics ADD CONSTRAINT metrics_bounds_ordered
    CHECK (min_hundredths IS NULL OR max_hundredths IS NULL OR min_hundredths <= max_hundredths);
