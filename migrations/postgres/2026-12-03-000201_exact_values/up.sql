-- Exact performance data: every value, and a metric's bounds, as a whole
-- number of hundredths (12.5 is 1250), so that totals and averages show no
-- binary noise. Values held with more than two decimal places are rounded to
-- two (halves away from zero, through numeric, as SQLite rounds them), and
-- any beyond the range values now have (±10^13) are brought to its edge
-- rather than failing the migration.

ALTER TABLE metric_values ADD COLUMN value_hundredths bigint;
UPDATE metric_values SET value_hundredths =
    round(GREATEST(LEAST(value, 1e13), -1e13)::numeric * 100)::bigint;
ALTER TABLE metric_values ALTER COLUMN value_hundredths SET NOT NULL;
ALTER TABLE metric_values DROP COLUMN value;

ALTER TABLE metrics ADD COLUMN min_hundredths bigint, ADD COLUMN max_hundredths bigint;
-- LEAST and GREATEST skip NULLs: an unbounded side stays NULL by the CASE.
UPDATE metrics SET
    min_hundredths = CASE WHEN min_value IS NULL THEN NULL
        ELSE round(GREATEST(LEAST(min_value, 1e13), -1e13)::numeric * 100)::bigint END,
    max_hundredths = CASE WHEN max_value IS NULL THEN NULL
        ELSE round(GREATEST(LEAST(max_value, 1e13), -1e13)::numeric * 100)::bigint END;
-- Dropping the columns drops the check that compared them.
ALTER TABLE metrics DROP COLUMN min_value, DROP COLUMN max_value;
ALTER TABLE metrics ADD CONSTRAINT metrics_bounds_ordered
    CHECK (min_hundredths IS NULL OR max_hundredths IS NULL OR min_hundredths <= max_hundredths);
