-- Meetings of a partnership's groups, who attended, the agenda with its
-- minutes and decisions, and declarations of interest. Audit events gain a
-- note (why minutes were reopened; what a read or export showed).

ALTER TABLE audit_events ADD COLUMN note text;

CREATE TABLE meetings (
    id                      uuid PRIMARY KEY,
    partnership_id          uuid NOT NULL REFERENCES partnerships (id),
    group_id                uuid NOT NULL REFERENCES partnership_groups (id),
    title                   text NOT NULL,
    starts_at               timestamptz NOT NULL,
    ends_at                 timestamptz,
    location                text,
    status                  text NOT NULL CHECK (status IN ('scheduled', 'held', 'cancelled')),
    minutes_status          text NOT NULL CHECK (minutes_status IN ('none', 'draft', 'approved', 'published')),
    previous_meeting_id     uuid REFERENCES meetings (id),
    approved_at_meeting_id  uuid REFERENCES meetings (id),
    release_at              timestamptz,
    no_declarations         boolean NOT NULL DEFAULT false,
    version                 integer NOT NULL DEFAULT 1,
    created_at              timestamptz NOT NULL,
    updated_at              timestamptz NOT NULL,
    CHECK (ends_at IS NULL OR ends_at > starts_at)
);
CREATE INDEX meetings_partnership ON meetings (partnership_id, id);
CREATE INDEX meetings_group_starts ON meetings (group_id, starts_at);

CREATE TABLE agenda_items (
    id                   uuid PRIMARY KEY,
    meeting_id           uuid NOT NULL REFERENCES meetings (id),
    partnership_id       uuid NOT NULL REFERENCES partnerships (id),
    number               text,
    title                text NOT NULL,
    presenter_person_id  uuid REFERENCES people (id),
    minutes              text,
    confidential         boolean NOT NULL DEFAULT false,
    not_minuted          boolean NOT NULL DEFAULT false,
    position             integer NOT NULL,
    version              integer NOT NULL DEFAULT 1,
    created_at           timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL
);
CREATE INDEX agenda_items_meeting ON agenda_items (meeting_id, position);

CREATE TABLE attendees (
    id                        uuid PRIMARY KEY,
    meeting_id                uuid NOT NULL REFERENCES meetings (id),
    partnership_id            uuid NOT NULL REFERENCES partnerships (id),
    person_id                 uuid REFERENCES people (id),
    guest_name                text,
    guest_organisation        text,
    attendance                text NOT NULL CHECK (attendance IN ('present', 'apologies', 'absent')),
    role                      text NOT NULL CHECK (role IN ('chair', 'member', 'in_attendance', 'minute_taker', 'guest')),
    deputising_for_person_id  uuid REFERENCES people (id),
    arrived_at                timestamptz,
    left_at                   timestamptz,
    attended_item_ids         text NOT NULL DEFAULT '[]',
    version                   integer NOT NULL DEFAULT 1,
    created_at                timestamptz NOT NULL,
    updated_at                timestamptz NOT NULL,
    CHECK ((person_id IS NULL) <> (guest_name IS NULL)),
    UNIQUE (meeting_id, person_id)
);
CREATE INDEX attendees_meeting ON attendees (meeting_id, id);

CREATE TABLE decisions (
    id              uuid PRIMARY KEY,
    item_id         uuid NOT NULL REFERENCES agenda_items (id),
    meeting_id      uuid NOT NULL REFERENCES meetings (id),
    partnership_id  uuid NOT NULL REFERENCES partnerships (id),
    outcome         text NOT NULL CHECK (outcome IN ('agreed', 'approved', 'noted', 'deferred', 'rejected')),
    text            text NOT NULL,
    version         integer NOT NULL DEFAULT 1,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);
CREATE INDEX decisions_item ON decisions (item_id, id);
CREATE INDEX decisions_meeting ON decisions (meeting_id);

CREATE TABLE declarations (
    id              uuid PRIMARY KEY,
    meeting_id      uuid NOT NULL REFERENCES meetings (id),
    partnership_id  uuid NOT NULL REFERENCES partnerships (id),
    person_id       uuid NOT NULL REFERENCES people (id),
    item_id         uuid REFERENCES agenda_items (id),
    text            text NOT NULL,
    version         integer NOT NULL DEFAULT 1,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);
CREATE INDEX declarations_meeting ON declarations (meeting_id, id);
