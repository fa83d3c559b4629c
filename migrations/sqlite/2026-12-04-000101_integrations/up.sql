-- Integrations: the change feed is a view of the change log (audit events
-- now carry the version of the record they changed); webhooks follow the
-- same log with a cursor each; events the service raises on a schedule
-- (an action falling overdue, a data request's deadline) are raised once
-- whichever instance raises them.

ALTER TABLE audit_events ADD COLUMN version integer;

CREATE TABLE webhooks (
    id                text PRIMARY KEY,
    partnership_id    text NOT NULL REFERENCES partnerships (id),
    url               text NOT NULL,
    event_types       text NOT NULL DEFAULT '[]',
    description       text,
    active            boolean NOT NULL DEFAULT true,
    -- The signing secret, encrypted with WEBHOOK_SECRET_KEY (HMAC needs it back).
    secret_sealed     text NOT NULL,
    version           integer NOT NULL DEFAULT 1,
    created_at        text NOT NULL,
    updated_at        text NOT NULL
);
CREATE INDEX webhooks_partnership ON webhooks (partnership_id, id);

-- Where each webhook's delivery has got to in its partnership's change log,
-- and which instance is delivering it until when (a lease).
CREATE TABLE webhook_cursors (
    webhook_id        text PRIMARY KEY REFERENCES webhooks (id) ON DELETE CASCADE,
    after_seq         bigint NOT NULL,
    lease_owner       text,
    lease_until       text
);

CREATE TABLE webhook_deliveries (
    id                text PRIMARY KEY,
    webhook_id        text NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    partnership_id    text NOT NULL REFERENCES partnerships (id),
    seq               bigint NOT NULL,
    event_type        text NOT NULL,
    payload           text NOT NULL,
    status            text NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts          integer NOT NULL DEFAULT 0,
    next_attempt_at   text,
    last_status_code  integer,
    last_error        text,
    created_at        text NOT NULL,
    delivered_at      text
);
CREATE UNIQUE INDEX webhook_deliveries_event ON webhook_deliveries (webhook_id, seq);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (webhook_id, status, next_attempt_at);

CREATE TABLE raised_events (
    kind              text NOT NULL,
    subject_id        text NOT NULL,
    occasion          text NOT NULL,
    partnership_id    text NOT NULL REFERENCES partnerships (id),
    raised_at         text NOT NULL,
    PRIMARY KEY (kind, subject_id, occasion)
);
