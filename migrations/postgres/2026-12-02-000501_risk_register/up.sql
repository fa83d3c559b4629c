-- The risk register (PostgreSQL): each partnership's scoring bands (a row once it
-- changes the default bands, at version 2; its id is the partnership's), risks numbered from the
-- partnership's counter 'risk', every dated assessment, the actions that
-- mitigate a risk, and escalations to a group's next meeting.

CREATE TABLE risk_scoring (
    id              uuid PRIMARY KEY,
    partnership_id  uuid NOT NULL UNIQUE REFERENCES partnerships (id),
    -- green 1..amber_from-1, amber amber_from..red_from-1, red red_from..25:
    -- three bands, contiguous, each non-empty, covering 1..25.
    amber_from      integer NOT NULL CHECK (amber_from >= 2),
    red_from        integer NOT NULL CHECK (red_from > amber_from AND red_from <= 25),
    version         integer NOT NULL DEFAULT 1,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);

CREATE TABLE risks (
    id                     uuid PRIMARY KEY,
    partnership_id         uuid NOT NULL REFERENCES partnerships (id),
    number                 bigint NOT NULL CHECK (number > 0),
    title                  text NOT NULL,
    description            text,
    category               text,
    owner_person_id        uuid REFERENCES people (id),
    owner_organisation_id  uuid REFERENCES organisations (id),
    status                 text NOT NULL CHECK (status IN ('draft', 'agreed', 'closed')),
    likelihood             integer NOT NULL CHECK (likelihood BETWEEN 1 AND 5),
    impact                 integer NOT NULL CHECK (impact BETWEEN 1 AND 5),
    score                  integer NOT NULL CHECK (score = likelihood * impact),
    previous_score         integer CHECK (previous_score BETWEEN 1 AND 25),
    assessed_on            text NOT NULL,
    controls               text,
    planned_mitigations    text,
    target_score           integer CHECK (target_score BETWEEN 1 AND 25),
    next_review_date       text,
    version                integer NOT NULL DEFAULT 1,
    created_at             timestamptz NOT NULL,
    updated_at             timestamptz NOT NULL,
    UNIQUE (partnership_id, number)
);
CREATE INDEX risks_score ON risks (partnership_id, score, number);
CREATE INDEX risks_owner_person ON risks (owner_person_id);
CREATE INDEX risks_owner_organisation ON risks (owner_organisation_id);

CREATE TABLE risk_assessments (
    id                  uuid PRIMARY KEY,
    risk_id             uuid NOT NULL REFERENCES risks (id),
    partnership_id      uuid NOT NULL REFERENCES partnerships (id),
    assessed_on         text NOT NULL,
    likelihood          integer NOT NULL CHECK (likelihood BETWEEN 1 AND 5),
    impact              integer NOT NULL CHECK (impact BETWEEN 1 AND 5),
    score               integer NOT NULL CHECK (score = likelihood * impact),
    note                text,
    assessor_person_id  uuid REFERENCES people (id),
    recorded_by         text NOT NULL,
    version             integer NOT NULL DEFAULT 1,
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL
);
CREATE INDEX risk_assessments_risk ON risk_assessments (risk_id, assessed_on, created_at, id);

CREATE TABLE risk_mitigations (
    risk_id    uuid NOT NULL REFERENCES risks (id),
    position   integer NOT NULL CHECK (position >= 0),
    action_id  uuid NOT NULL REFERENCES actions (id),
    PRIMARY KEY (risk_id, position)
);
CREATE UNIQUE INDEX risk_mitigations_action ON risk_mitigations (action_id, risk_id);

CREATE TABLE risk_escalations (
    id              uuid PRIMARY KEY,
    risk_id         uuid NOT NULL REFERENCES risks (id),
    partnership_id  uuid NOT NULL REFERENCES partnerships (id),
    group_id        uuid NOT NULL REFERENCES partnership_groups (id),
    meeting_id      uuid NOT NULL REFERENCES meetings (id),
    item_id         uuid NOT NULL REFERENCES agenda_items (id),
    escalated_by    text NOT NULL,
    version         integer NOT NULL DEFAULT 1,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    -- Once per risk and meeting: a retry finds the first.
    UNIQUE (risk_id, meeting_id)
);
CREATE INDEX risk_escalations_item ON risk_escalations (item_id);
