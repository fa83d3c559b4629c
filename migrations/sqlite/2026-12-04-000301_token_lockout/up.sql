-- Failed token requests, counted in the database so that every instance
-- sees the same counts (they were per instance, in memory). Each count is
-- keyed by what it limits: a client from one source ("client:<id>|from:<src>"),
-- a source across clients ("from:<src>"), a client from the sources it has
-- never authenticated from ("client:<id>|elsewhere"); a fixed window each.
CREATE TABLE token_failures (
    key             text PRIMARY KEY,
    window_started  text NOT NULL,
    failures        integer NOT NULL
);
CREATE INDEX token_failures_window ON token_failures (window_started);

-- The sources each client has authenticated from: a stranger's failures
-- elsewhere never lock the client out of them.
CREATE TABLE token_sources (
    client_id       text NOT NULL REFERENCES api_clients (id) ON DELETE CASCADE,
    source          text NOT NULL,
    succeeded_at    text NOT NULL,
    PRIMARY KEY (client_id, source)
);
