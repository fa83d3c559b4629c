DROP TABLE token_sources;
DROP TABLE token_failures;
