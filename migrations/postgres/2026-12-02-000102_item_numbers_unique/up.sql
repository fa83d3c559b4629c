-- An item's number is unique within its meeting (unnumbered items, NULL, are
-- not compared). Duplicates recorded before this rule keep their place: the
-- first recorded keeps its number, each later one gets " (2)", " (3)"... after
-- it (or its id, where that number is taken too), so the index can be built and the items told apart; an admin may
-- renumber them (a number longer than 20 characters must be shortened at the
-- next change of the item).
CREATE TEMPORARY TABLE agenda_item_renumbering AS
SELECT ranked.id AS id,
       CASE WHEN EXISTS (
                SELECT 1 FROM agenda_items AS taken
                WHERE taken.meeting_id = ranked.meeting_id
                  AND taken.number = ranked.candidate
            )
            -- " (2)" is itself an item's number there: the item's id tells it apart.
            THEN ranked.number || ' (' || CAST(ranked.id AS text) || ')'
            ELSE ranked.candidate
       END AS number
FROM (
    SELECT later.id AS id, later.meeting_id AS meeting_id, later.number AS number,
           later.number || ' (' || CAST((
               SELECT count(*) FROM agenda_items AS earlier
               WHERE earlier.meeting_id = later.meeting_id
                 AND earlier.number = later.number
                 AND earlier.id < later.id
           ) + 1 AS text) || ')' AS candidate
    FROM agenda_items AS later
    WHERE EXISTS (
        SELECT 1 FROM agenda_items AS earlier
        WHERE earlier.meeting_id = later.meeting_id
          AND earlier.number = later.number
          AND earlier.id < later.id
    )
) AS ranked;

UPDATE agenda_items
SET number = (SELECT r.number FROM agenda_item_renumbering AS r WHERE r.id = agenda_items.id)
WHERE id IN (SELECT id FROM agenda_item_renumbering);

DROP TABLE agenda_item_renumbering;

CREATE UNIQUE INDEX agenda_items_meeting_number ON agenda_items (meeting_id, number);
