-- Sessions also end after a quiet spell: last_seen_at moves forward while the session is used.
ALTER TABLE sessions ADD COLUMN last_seen_at TIMESTAMPTZ;
UPDATE sessions SET last_seen_at = created_at;
-- A message for the session's next page (a form's problem after its redirect), kept here so
-- that no page prints text it was handed in its URL.
ALTER TABLE sessions ADD COLUMN flash TEXT;

-- A deactivated user cannot sign in, and their sessions and tokens stop working; their records
-- (accounts they owned, reviews, notes) stay.
ALTER TABLE users ADD COLUMN deactivated_at TIMESTAMPTZ;

-- Sign-in attempts are throttled per email and per client address. A row is written before the
-- password is checked (and removed when it was right), so parallel guesses see each other.
ALTER TABLE sign_in_failures ADD COLUMN client TEXT;
CREATE INDEX sign_in_failures_client ON sign_in_failures (client, failed_at);

-- The audit log: who did what to credentials, users, settings and records that matter, from
-- where and when. Append-only: nothing updates or deletes its rows (a trigger refuses it), and
-- entries keep naming a user or account after it is deleted, so there is no foreign key.
CREATE TABLE audit_log (
    id {{ID}},
    at TIMESTAMPTZ NOT NULL,
    actor_user_id BIGINT,
    -- How the actor is shown: an email, an API token's name, "command line".
    actor TEXT NOT NULL,
    -- The client address of a web or API request; NULL for the command line.
    client TEXT,
    kind TEXT NOT NULL,
    -- What was acted on ("user 7", "account 12"), when it is one record.
    subject TEXT,
    detail TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_kind_at ON audit_log (kind, at);
CREATE INDEX audit_log_actor_at ON audit_log (actor_user_id, at);

-- What a token may be used for: the API (with its role), or only reading /metrics.
ALTER TABLE api_tokens ADD COLUMN scope TEXT NOT NULL DEFAULT 'api' CHECK (scope IN ('api', 'metrics'));
