DROP INDEX organisations_name_key;
ALTER TABLE organisations DROP COLUMN name_key;
