-- The access log: every disclosure (a read of a confidential record, of
-- minutes, an export, the calendar feed) and every refused attempt on a
-- partnership's record, with who, what, when and under which role (DPA 2018
-- s.62). Not a change: written without the change log's counter, never in
-- `audit_events`, so reads neither wait behind writes nor fill the change log.
CREATE TABLE access_log (
    id               text PRIMARY KEY,
    partnership_id   text NOT NULL REFERENCES partnerships (id),
    occurred_at      text NOT NULL,
    subject          text NOT NULL,
    organisation_id  text,
    role             text CHECK (role IN ('admin', 'member', 'submitter', 'viewer', 'platform_admin')),
    outcome          text NOT NULL CHECK (outcome IN ('allowed', 'refused')),
    resource_type    text NOT NULL,
    resource_id      text NOT NULL,
    operation        text NOT NULL
);
CREATE INDEX access_log_partnership ON access_log (partnership_id, id);

-- Disclosures recorded in the change log before this table existed are
-- copied here (their role was not recorded); they stay in the change log,
-- whose `seq` is never renumbered.
INSERT INTO access_log (id, partnership_id, occurred_at, subject, organisation_id, role, outcome, resource_type, resource_id, operation)
SELECT id, partnership_id, occurred_at, actor, actor_organisation_id, NULL, 'allowed', resource_type, resource_id, coalesce(note, action)
FROM audit_events
WHERE action IN ('read', 'export') AND partnership_id IS NOT NULL;
