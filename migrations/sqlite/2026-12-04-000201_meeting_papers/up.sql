-- Meeting papers: files attached to agenda items ("Appendix D1: Violence
-- Reduction Unit"). The bytes are stored content-addressed (by SHA-256)
-- outside the database; a paper's row names its current version, and every
-- version it has had is kept, so approved minutes that named one can still
-- hand it out after a replacement.

CREATE TABLE papers (
    id              text PRIMARY KEY,
    partnership_id  text NOT NULL REFERENCES partnerships (id),
    meeting_id      text NOT NULL REFERENCES meetings (id),
    item_id         text NOT NULL REFERENCES agenda_items (id),
    label           text,
    title           text NOT NULL,
    file_name       text NOT NULL,
    content_type    text NOT NULL,
    size_bytes      bigint NOT NULL,
    sha256          text NOT NULL,
    withdrawn       boolean NOT NULL DEFAULT false,
    version         integer NOT NULL DEFAULT 1,
    created_at      text NOT NULL,
    updated_at      text NOT NULL
);
CREATE INDEX papers_item ON papers (item_id, id);
CREATE INDEX papers_meeting ON papers (meeting_id, id);

CREATE TABLE paper_versions (
    paper_id        text NOT NULL REFERENCES papers (id),
    version         integer NOT NULL,
    file_name       text NOT NULL,
    content_type    text NOT NULL,
    size_bytes      bigint NOT NULL,
    sha256          text NOT NULL,
    created_at      text NOT NULL,
    PRIMARY KEY (paper_id, version)
);
CREATE INDEX paper_versions_sha256 ON paper_versions (sha256);
