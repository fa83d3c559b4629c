-- One registry entry per agency: names are compared ignoring case and runs of
-- spaces, through `name_key` (lowercase, trimmed, runs of white space
-- collapsed to one space: `organisations::rules::name_key`, which computes it
-- from now on; this backfill is PostgreSQL's rendering of the same rule).
ALTER TABLE organisations ADD COLUMN name_key text;

UPDATE organisations SET name_key = lower(regexp_replace(btrim(name), '\s+', ' ', 'g'));

-- Duplicates registered before this rule keep their names and ids (records of
-- several partnerships may name them): the first registered keeps the key, and
-- each later one gets a key made distinct by its id, so this migration always
-- runs. They stay listed and searchable; renaming one gives it a plain key
-- again, and two of them can be told apart by `kind` and id until an admin
-- renames (or stops using) one.
UPDATE organisations AS later SET name_key = later.name_key || ' (' || later.id::text || ')'
WHERE EXISTS (
    SELECT 1 FROM organisations AS first
    WHERE first.name_key = later.name_key AND first.id < later.id
);

ALTER TABLE organisations ALTER COLUMN name_key SET NOT NULL;
CREATE UNIQUE INDEX organisations_name_key ON organisations (name_key);
