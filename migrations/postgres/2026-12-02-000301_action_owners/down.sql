ALTER TABLE actions ADD COLUMN owner_ids text NOT NULL DEFAULT '[]',
    ADD COLUMN all_partners boolean NOT NULL DEFAULT false;
UPDATE actions a SET all_partners = true
WHERE EXISTS (SELECT 1 FROM action_owners o WHERE o.action_id = a.id AND o.kind = 'all_partners');
UPDATE actions a SET owner_ids = (
    SELECT json_agg(COALESCE(o.person_id, o.group_id, o.organisation_id) ORDER BY o.position)::text
    FROM action_owners o WHERE o.action_id = a.id AND o.kind <> 'all_partners')
WHERE EXISTS (SELECT 1 FROM action_owners o WHERE o.action_id = a.id AND o.kind <> 'all_partners');
DROP TABLE action_owners;
