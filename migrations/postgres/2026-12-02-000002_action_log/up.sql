-- The action log (PostgreSQL): numbered actions (per-partnership counter 'action'), their
-- dated updates, and the frozen copy of approved minutes.

ALTER TABLE partnerships ADD COLUMN action_reference_format text NOT NULL
    DEFAULT 'Action No {number}[ ({date}[ ref {item}])]';

CREATE TABLE actions (
    id              uuid PRIMARY KEY,
    partnership_id  uuid NOT NULL REFERENCES partnerships (id),
    number          bigint NOT NULL CHECK (number > 0),
    meeting_id      uuid REFERENCES meetings (id),
    item_id         uuid REFERENCES agenda_items (id),
    description     text NOT NULL,
    owner_ids       text NOT NULL DEFAULT '[]',
    all_partners    boolean NOT NULL DEFAULT false,
    due_date        text,
    due_meeting_id  uuid REFERENCES meetings (id),
    due_text        text,
    status          text NOT NULL CHECK (status IN ('open', 'in_progress', 'complete', 'cancelled')),
    completed_on    text,
    version         integer NOT NULL DEFAULT 1,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    UNIQUE (partnership_id, number)
);
CREATE INDEX actions_meeting ON actions (meeting_id);
CREATE INDEX actions_item ON actions (item_id);
CREATE INDEX actions_due_meeting ON actions (due_meeting_id);

CREATE TABLE action_updates (
    id                      uuid PRIMARY KEY,
    action_id               uuid NOT NULL REFERENCES actions (id),
    partnership_id          uuid NOT NULL REFERENCES partnerships (id),
    noted_on                text NOT NULL,
    note                    text NOT NULL,
    author_person_id        uuid REFERENCES people (id),
    status                  text CHECK (status IN ('open', 'in_progress', 'complete', 'cancelled')),
    reported_at_meeting_id  uuid REFERENCES meetings (id),
    recorded_by             text NOT NULL,
    version                 integer NOT NULL DEFAULT 1,
    created_at              timestamptz NOT NULL,
    updated_at              timestamptz NOT NULL
);
CREATE INDEX action_updates_action ON action_updates (action_id, noted_on, id);
CREATE INDEX action_updates_meeting ON action_updates (reported_at_meeting_id);

CREATE TABLE minutes_snapshots (
    meeting_id      uuid PRIMARY KEY REFERENCES meetings (id),
    partnership_id  uuid NOT NULL REFERENCES partnerships (id),
    document        text NOT NULL,
    taken_at        timestamptz NOT NULL
);
