-- Exact performance data: every value, and a metric's bounds, as a whole
-- number of hundredths (12.5 is 1250), so that totals and averages show no
-- binary noise. Values held with more than two decimal places are rounded
-- to two, and any beyond the range values now have (±10^13) are brought to
-- its edge.

ALTER TABLE metric_values ADD COLUMN value_hundredths bigint NOT NULL DEFAULT 0;
UPDATE metric_values SET value_hundredths = CAST(round(max(min(value, 1e13), -1e13) * 100) AS INTEGER);
ALTER TABLE metric_values DROP COLUMN value;

-- SQLite drops no column that a table CHECK names, and rebuilding `metrics`
-- is refused inside a migration's transaction while `metric_values` refers
-- to it: the old bounds stay as columns, emptied, and nothing reads them.
ALTER TABLE metrics ADD COLUMN min_hundredths bigint;
ALTER TABLE metrics ADD COLUMN max_hundredths bigint
    CHECK (min_hundredths IS NULL OR max_hundredths IS NULL OR min_hundredths <= max_hundredths);
UPDATE metrics SET min_hundredths = CAST(round(max(min(min_value, 1e13), -1e13) * 100) AS INTEGER),
                   max_hundredths = CAST(round(max(min(max_value, 1e13), -1e13) * 100) AS INTEGER),
                   min_value = NULL, max_value = NULL;
