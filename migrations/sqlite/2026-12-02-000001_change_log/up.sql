-- A commit-ordered change log: see the PostgreSQL migration of the same name.
-- SQLite has one writer at a time, so its order is commit order already.
CREATE TABLE counters (
    scope  text NOT NULL,
    name   text NOT NULL,
    value  bigint NOT NULL,
    PRIMARY KEY (scope, name)
);

ALTER TABLE audit_events ADD COLUMN seq bigint NOT NULL DEFAULT 0;

UPDATE audit_events SET seq = (
    SELECT count(*) FROM audit_events AS e
    WHERE e.partnership_id IS audit_events.partnership_id AND e.id <= audit_events.id
);

INSERT INTO counters (scope, name, value)
SELECT coalesce(partnership_id, 'platform'), 'audit', max(seq)
FROM audit_events
GROUP BY partnership_id;

CREATE UNIQUE INDEX audit_events_seq ON audit_events (partnership_id, seq) WHERE partnership_id IS NOT NULL;
CREATE UNIQUE INDEX audit_events_platform_seq ON audit_events (seq) WHERE partnership_id IS NULL;
