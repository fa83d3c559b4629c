-- Every paginated list walks one index in its own order: its scope (the
-- partnership, the meeting, the budget, the webhook...) then its sort key,
-- so a page, first or after a cursor, reads only its own rows and sorts
-- nothing (tests/api/explain.rs checks the plans on both backends).

-- Lists by id within a scope whose only indexes were unique constraints on
-- other columns: each page sorted all of the scope's rows.
CREATE INDEX people_partnership ON people (partnership_id, id);
CREATE INDEX partnership_groups_partnership ON partnership_groups (partnership_id, id);
CREATE INDEX partnership_members_partnership ON partnership_members (partnership_id, id);
CREATE INDEX risk_escalations_risk ON risk_escalations (risk_id, id);
CREATE INDEX budget_lines_budget ON budget_lines (budget_id, id);
CREATE INDEX budget_contributions_budget ON budget_contributions (budget_id, id);
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, id);

-- The agenda is ordered by position, then id: the index ends with both
-- (it serves whatever the narrower one did).
CREATE INDEX agenda_items_meeting_order ON agenda_items (meeting_id, position, id);
DROP INDEX agenda_items_meeting;

-- A record's history and its disclosures, in their lists' order: the
-- change log by seq, the access log by id (the change log's index on the
-- resource alone made every page sort the record's events, or walk the
-- partnership's whole log past other records' events).
CREATE INDEX audit_events_resource_seq ON audit_events (resource_id, seq);
DROP INDEX audit_events_resource;
CREATE INDEX access_log_resource ON access_log (resource_id, id);

-- The change log pages by seq (audit_events_seq for a partnership's,
-- audit_events_platform_seq for the platform's), never by id: this index
-- served nothing, and drew the planners into sorting the platform's log.
DROP INDEX audit_events_partnership;
