ALTER TABLE actions ADD COLUMN owner_ids text NOT NULL DEFAULT '[]';
ALTER TABLE actions ADD COLUMN all_partners boolean NOT NULL DEFAULT false;
UPDATE actions SET all_partners = true
WHERE EXISTS (SELECT 1 FROM action_owners o WHERE o.action_id = actions.id AND o.kind = 'all_partners');
UPDATE actions SET owner_ids = (
    SELECT json_group_array(owner) FROM (
        SELECT COALESCE(o.person_id, o.group_id, o.organisation_id) AS owner
        FROM action_owners o
        WHERE o.action_id = actions.id AND o.kind <> 'all_partners'
        ORDER BY o.position))
WHERE EXISTS (SELECT 1 FROM action_owners o WHERE o.action_id = actions.id AND o.kind <> 'all_partners');
DROP TABLE action_owners;
