DROP TABLE metric_values;
DROP TABLE metrics;
