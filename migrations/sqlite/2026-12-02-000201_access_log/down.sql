DROP TABLE access_log;
