-- A client's own rate limit, set by a partnership admin (NULL: the configured
-- default, RATE_LIMIT_PER_MINUTE / RATE_LIMIT_BURST).
ALTER TABLE api_clients ADD COLUMN rate_limit_per_minute integer
    CHECK (rate_limit_per_minute BETWEEN 1 AND 1000000);
ALTER TABLE api_clients ADD COLUMN rate_limit_burst integer
    CHECK (rate_limit_burst BETWEEN 1 AND 1000000);
-- What a client's tokens carry (claim `cv`) and must match: moved on only by
-- a secret rotation, so that other changes of the client (its rate limit, its
-- name) bump `version` without ending its tokens. It starts at `version`, the
-- number tokens issued before this migration carry, so none of them ends.
ALTER TABLE api_clients ADD COLUMN secret_generation integer NOT NULL DEFAULT 1;
UPDATE api_clients SET secret_generation = version;
