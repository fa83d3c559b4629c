-- Performance data: the metrics a partnership asks agencies for, and the
-- values each agency submits per quarter (one value per metric, agency and
-- period; a resubmission updates it).

CREATE TABLE metrics (
    id              uuid PRIMARY KEY,
    partnership_id  uuid NOT NULL REFERENCES partnerships (id),
    code            text NOT NULL,
    name            text NOT NULL,
    unit            text NOT NULL CHECK (unit IN ('count', 'percent', 'days', 'currency')),
    min_value       double precision,
    max_value       double precision,
    version         integer NOT NULL DEFAULT 1,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    UNIQUE (partnership_id, code),
    CHECK (min_value IS NULL OR max_value IS NULL OR min_value <= max_value)
);
CREATE INDEX metrics_partnership ON metrics (partnership_id, id);

CREATE TABLE metric_values (
    id               uuid PRIMARY KEY,
    partnership_id   uuid NOT NULL REFERENCES partnerships (id),
    metric_id        uuid NOT NULL REFERENCES metrics (id),
    organisation_id  uuid NOT NULL REFERENCES organisations (id),
    period           text NOT NULL,
    value            double precision NOT NULL,
    comment          text,
    submitted_by     text NOT NULL,
    version          integer NOT NULL DEFAULT 1,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    UNIQUE (metric_id, organisation_id, period)
);
CREATE INDEX metric_values_partnership ON metric_values (partnership_id, id);
