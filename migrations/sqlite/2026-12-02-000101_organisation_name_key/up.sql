-- One registry entry per agency: names are compared ignoring case and runs of
-- spaces, through `name_key` (lowercase, trimmed, runs of spaces collapsed:
-- `organisations::rules::name_key`, which computes it from now on). The
-- backfill below is SQLite's approximation of that rule: `lower` folds ASCII
-- letters only, and runs of up to 256 spaces collapse (names are at most 200
-- characters and hold no control characters).
ALTER TABLE organisations ADD COLUMN name_key text NOT NULL DEFAULT '';

UPDATE organisations SET name_key = lower(trim(
    replace(replace(replace(replace(replace(replace(replace(replace(
        name, '  ', ' '), '  ', ' '), '  ', ' '), '  ', ' '),
        '  ', ' '), '  ', ' '), '  ', ' '), '  ', ' ')));

-- Duplicates registered before this rule keep their names and ids (records of
-- several partnerships may name them): the first registered keeps the key, and
-- each later one gets a key made distinct by its id, so this migration always
-- runs. They stay listed and searchable; renaming one gives it a plain key
-- again, and two of them can be told apart by `kind` and id until an admin
-- renames (or stops using) one.
UPDATE organisations SET name_key = name_key || ' (' || id || ')'
WHERE EXISTS (
    SELECT 1 FROM organisations AS first
    WHERE first.name_key = organisations.name_key AND first.id < organisations.id
);

CREATE UNIQUE INDEX organisations_name_key ON organisations (name_key);
