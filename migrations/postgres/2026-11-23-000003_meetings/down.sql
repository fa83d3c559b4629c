DROP TABLE declarations;
DROP TABLE decisions;
DROP TABLE attendees;
DROP TABLE agenda_items;
DROP TABLE meetings;
ALTER TABLE audit_events DROP COLUMN note;
