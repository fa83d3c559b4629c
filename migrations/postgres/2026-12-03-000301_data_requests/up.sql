-- Data requests: a partnership asks agencies for a quarter's metrics by a
-- due date ("Police, CCG, ... to provide Quarter 2 2019/20 data by 29
-- November"). The metrics are kept by code (codes never change) and the
-- agencies by id, each as a JSON array. A value is linked to the open request
-- that asked for it and flagged late when it came after the due date.

CREATE TABLE data_requests (
    id                uuid PRIMARY KEY,
    partnership_id    uuid NOT NULL REFERENCES partnerships (id),
    period            text NOT NULL,
    metrics           text NOT NULL DEFAULT '[]',
    organisation_ids  text NOT NULL DEFAULT '[]',
    due_date          text NOT NULL,
    status            text NOT NULL CHECK (status IN ('open', 'closed')),
    version           integer NOT NULL DEFAULT 1,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL
);
CREATE INDEX data_requests_partnership ON data_requests (partnership_id, id);
CREATE INDEX data_requests_period ON data_requests (partnership_id, period);

ALTER TABLE metric_values
    ADD COLUMN data_request_id uuid REFERENCES data_requests (id),
    ADD COLUMN late boolean NOT NULL DEFAULT false;
CREATE INDEX metric_values_period ON metric_values (partnership_id, period, organisation_id);
