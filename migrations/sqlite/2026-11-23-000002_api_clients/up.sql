-- Machine credentials: an agency's system trades its client id and secret for
-- a short-lived token. Secrets are stored only as argon2 hashes.
CREATE TABLE api_clients (
    id               text PRIMARY KEY,
    partnership_id   text REFERENCES partnerships (id),
    name             text NOT NULL,
    role             text CHECK (role IN ('admin', 'member', 'submitter', 'viewer')),
    organisation_id  text REFERENCES organisations (id),
    platform_admin   boolean NOT NULL DEFAULT false,
    secret_hash      text NOT NULL,
    revoked_at       text,
    version          integer NOT NULL DEFAULT 1,
    created_at       text NOT NULL,
    updated_at       text NOT NULL,
    -- A client is either a platform administrator or has a role in one partnership.
    CHECK ((platform_admin AND partnership_id IS NULL AND role IS NULL)
        OR (NOT platform_admin AND partnership_id IS NOT NULL AND role IS NOT NULL))
);
CREATE INDEX api_clients_partnership ON api_clients (partnership_id, id);
