-- An item's number is unique within its meeting (unnumbered items, NULL, are
-- not compared). Duplicates recorded before this rule keep their place: the
-- first recorded keeps its number, each later one gets " (2)", " (3)"... after
-- it, so the index can be built and the items told apart; an admin may
-- renumber them (a number longer than 20 characters must be shortened at the
-- next change of the item).
CREATE TEMPORARY TABLE agenda_item_renumbering AS
SELECT later.id AS id,
       later.number || ' (' || CAST((
           SELECT count(*) FROM agenda_items AS earlier
           WHERE earlier.meeting_id = later.meeting_id
             AND earlier.number = later.number
             AND earlier.id < later.id
       ) + 1 AS text) || ')' AS number
FROM agenda_items AS later
WHERE EXISTS (
    SELECT 1 FROM agenda_items AS earlier
    WHERE earlier.meeting_id = later.meeting_id
      AND earlier.number = later.number
      AND earlier.id < later.id
);

UPDATE agenda_items
SET number = (SELECT r.number FROM agenda_item_renumbering AS r WHERE r.id = agenda_items.id)
WHERE id IN (SELECT id FROM agenda_item_renumbering);

DROP TABLE agenda_item_renumbering;

CREATE UNIQUE INDEX agenda_items_meeting_number ON agenda_items (meeting_id, number);
