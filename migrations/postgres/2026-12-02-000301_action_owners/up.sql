-- Action owners as rows (PostgreSQL): one row per owner, in the order the
-- action lists them (all partners first, at position 0), each naming what it
-- is and referring to it by a foreign key. Replaces the JSON text list
-- actions.owner_ids (filtered with LIKE) and the flag actions.all_partners:
-- their contents move here and both columns are dropped, so there is one
-- source of truth (expand and contract in one step: the service reads and
-- writes only the rows from this version on).

CREATE TABLE action_owners (
    action_id        uuid NOT NULL REFERENCES actions (id),
    position         integer NOT NULL CHECK (position >= 0),
    kind             text NOT NULL
                     CHECK (kind IN ('person', 'group', 'organisation', 'all_partners')),
    person_id        uuid REFERENCES people (id),
    group_id         uuid REFERENCES partnership_groups (id),
    organisation_id  uuid REFERENCES organisations (id),
    PRIMARY KEY (action_id, position),
    -- Exactly the reference its kind names; all partners refer to nothing.
    CHECK ((person_id IS NOT NULL) = (kind = 'person')),
    CHECK ((group_id IS NOT NULL) = (kind = 'group')),
    CHECK ((organisation_id IS NOT NULL) = (kind = 'organisation'))
);
-- The owner filter and the checks before a removal look owners up by what
-- they name; unique, so an action names an owner once.
CREATE UNIQUE INDEX action_owners_person ON action_owners (person_id, action_id);
CREATE UNIQUE INDEX action_owners_group ON action_owners (group_id, action_id);
CREATE UNIQUE INDEX action_owners_organisation ON action_owners (organisation_id, action_id);
CREATE INDEX action_owners_kind ON action_owners (kind, action_id);

INSERT INTO action_owners (action_id, position, kind)
SELECT id, 0, 'all_partners' FROM actions WHERE all_partners;

-- Each listed id is a person, a group or an organisation (ids are unique
-- across tables); one that names nothing (never written by the service) is
-- left out.
INSERT INTO action_owners (action_id, position, kind, person_id, group_id, organisation_id)
SELECT a.id,
       o.ord::integer,
       CASE WHEN p.id IS NOT NULL THEN 'person'
            WHEN g.id IS NOT NULL THEN 'group'
            ELSE 'organisation' END,
       p.id,
       CASE WHEN p.id IS NULL THEN g.id END,
       CASE WHEN p.id IS NULL AND g.id IS NULL THEN org.id END
FROM actions a
CROSS JOIN LATERAL json_array_elements_text(a.owner_ids::json) WITH ORDINALITY AS o (owner, ord)
LEFT JOIN people p ON p.id = o.owner::uuid
LEFT JOIN partnership_groups g ON g.id = o.owner::uuid
LEFT JOIN organisations org ON org.id = o.owner::uuid
WHERE p.id IS NOT NULL OR g.id IS NOT NULL OR org.id IS NOT NULL;

ALTER TABLE actions DROP COLUMN owner_ids, DROP COLUMN all_partners;
