-- Foundation: tenancy, the shared registry of agencies, people and groups,
-- plus the audit trail and idempotency keys every resource relies on.

CREATE TABLE partnerships (
    id          uuid PRIMARY KEY,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    slug        text NOT NULL UNIQUE,
    area        text NOT NULL,
    version     integer NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);

CREATE TABLE organisations (
    id          uuid PRIMARY KEY,
    name        text NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('local_authority', 'police', 'health_commissioner',
                                              'nhs_trust', 'education', 'voluntary', 'other')),
    version     integer NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);

CREATE TABLE partnership_members (
    id               uuid PRIMARY KEY,
    partnership_id   uuid NOT NULL REFERENCES partnerships (id),
    organisation_id  uuid NOT NULL REFERENCES organisations (id),
    role             text NOT NULL CHECK (role IN ('statutory_partner', 'relevant_agency')),
    version          integer NOT NULL DEFAULT 1,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    UNIQUE (partnership_id, organisation_id)
);

CREATE TABLE people (
    id               uuid PRIMARY KEY,
    partnership_id   uuid NOT NULL REFERENCES partnerships (id),
    full_name        text NOT NULL,
    initials         text NOT NULL,
    job_title        text,
    organisation_id  uuid REFERENCES organisations (id),
    version          integer NOT NULL DEFAULT 1,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    UNIQUE (partnership_id, initials)
);

CREATE TABLE partnership_groups (
    id               uuid PRIMARY KEY,
    partnership_id   uuid NOT NULL REFERENCES partnerships (id),
    name             text NOT NULL,
    short_name       text NOT NULL,
    parent_group_id  uuid REFERENCES partnership_groups (id),
    version          integer NOT NULL DEFAULT 1,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    UNIQUE (partnership_id, short_name)
);

CREATE TABLE audit_events (
    id                     uuid PRIMARY KEY,
    partnership_id         uuid,
    actor                  text NOT NULL,
    actor_organisation_id  uuid,
    occurred_at            timestamptz NOT NULL,
    action                 text NOT NULL,
    resource_type          text NOT NULL,
    resource_id            uuid NOT NULL,
    before_state           text,
    after_state            text
);
CREATE INDEX audit_events_partnership ON audit_events (partnership_id, id);
CREATE INDEX audit_events_resource ON audit_events (resource_id);

CREATE TABLE idempotency_keys (
    caller            text NOT NULL,
    idempotency_key   text NOT NULL,
    request_hash      text NOT NULL,
    response_status   integer,
    response_headers  text,
    response_body     bytea,
    created_at        timestamptz NOT NULL,
    PRIMARY KEY (caller, idempotency_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
