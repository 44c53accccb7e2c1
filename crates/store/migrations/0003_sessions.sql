-- Signed-in browser sessions: only a SHA-256 hash of the session secret is stored. A session
-- ends at expires_at or when its user signs out (the row is deleted).
CREATE TABLE sessions (
    id {{ID}},
    token_hash TEXT NOT NULL UNIQUE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_user_id ON sessions (user_id);

-- Failed sign-ins by the email typed (whether or not a user has it), for throttling.
CREATE TABLE sign_in_failures (
    id {{ID}},
    email TEXT NOT NULL,
    failed_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sign_in_failures_email ON sign_in_failures (email, failed_at);
