-- A commit-ordered change log. Counters hand out numbers inside the write's
-- own transaction: the row stays locked until that transaction ends, so
-- numbers are gap-free (a rolled-back write gives its number back) and in
-- commit order (the next writer of the scope waits for the first). Scope is
-- a partnership id, or 'platform' for the shared registry; name is what is
-- counted ('audit' now; action and risk numbers later).
CREATE TABLE counters (
    scope  text NOT NULL,
    name   text NOT NULL,
    value  bigint NOT NULL,
    PRIMARY KEY (scope, name)
);

ALTER TABLE audit_events ADD COLUMN seq bigint NOT NULL DEFAULT 0;

-- Events written before: numbered in id (creation) order within each scope.
UPDATE audit_events AS e SET seq = n.seq
FROM (
    SELECT id, row_number() OVER (PARTITION BY partnership_id ORDER BY id) AS seq
    FROM audit_events
) AS n
WHERE e.id = n.id;

INSERT INTO counters (scope, name, value)
SELECT coalesce(partnership_id::text, 'platform'), 'audit', max(seq)
FROM audit_events
GROUP BY partnership_id;

CREATE UNIQUE INDEX audit_events_seq ON audit_events (partnership_id, seq) WHERE partnership_id IS NOT NULL;
CREATE UNIQUE INDEX audit_events_platform_seq ON audit_events (seq) WHERE partnership_id IS NULL;

-- Every event gets its number from the counter from now on: no default, so an
-- instance of an older version still running cannot write an unnumbered one.
ALTER TABLE audit_events ALTER COLUMN seq DROP DEFAULT;
