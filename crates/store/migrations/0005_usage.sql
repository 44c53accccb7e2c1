-- Product usage (F-10, F-11). Write keys authenticate event sources; only a SHA-256 hash of
-- the key is stored.
CREATE TABLE write_keys (
    id {{ID}},
    name TEXT NOT NULL,
    prefix TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ
);

-- The people seen in events, by Segment userId (or anonymousId). group_id is the account's
-- external id from their latest group call, kept even before such an account exists, so the
-- link is made the moment it does.
CREATE TABLE usage_people (
    id {{ID}},
    user_key TEXT NOT NULL UNIQUE,
    group_id TEXT,
    account_id BIGINT REFERENCES accounts (id) ON DELETE SET NULL DEFERRABLE INITIALLY IMMEDIATE,
    contact_id BIGINT REFERENCES contacts (id) ON DELETE SET NULL DEFERRABLE INITIALLY IMMEDIATE,
    email TEXT,
    name TEXT,
    traits TEXT NOT NULL,
    first_seen_at TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX usage_people_account_id ON usage_people (account_id);
CREATE INDEX usage_people_contact_id ON usage_people (contact_id);
CREATE INDEX usage_people_group_id ON usage_people (group_id);

-- Every message stored once (message_id), as received (payload). account_id is NULL while the
-- message cannot be placed: it is kept and attached when the link arrives.
CREATE TABLE usage_events (
    id {{ID}},
    message_id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    feature TEXT,
    user_key TEXT NOT NULL,
    group_id TEXT,
    account_id BIGINT REFERENCES accounts (id) ON DELETE SET NULL DEFERRABLE INITIALLY IMMEDIATE,
    occurred_at TIMESTAMPTZ NOT NULL,
    received_at TIMESTAMPTZ NOT NULL,
    payload TEXT NOT NULL
);
CREATE INDEX usage_events_account_id ON usage_events (account_id, occurred_at);
CREATE INDEX usage_events_unmatched ON usage_events (user_key) WHERE account_id IS NULL;

-- Rollups of activity (track, page, screen), kept up to date in the transaction that stores
-- the events and rebuildable from usage_events. Days are UTC days of occurred_at. The marker
-- after each table stores it in primary-key order on SQLite (WITHOUT ROWID).
CREATE TABLE usage_account_days (
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    day DATE NOT NULL,
    events BIGINT NOT NULL,
    active_users BIGINT NOT NULL,
    PRIMARY KEY (account_id, day)
){{KEYED}};
CREATE TABLE usage_feature_days (
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    feature TEXT NOT NULL,
    day DATE NOT NULL,
    events BIGINT NOT NULL,
    PRIMARY KEY (account_id, feature, day)
){{KEYED}};
CREATE TABLE usage_user_days (
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    user_key TEXT NOT NULL,
    day DATE NOT NULL,
    events BIGINT NOT NULL,
    PRIMARY KEY (account_id, day, user_key)
){{KEYED}};

-- Every feature (track event, page or screen name) seen on any account, with the last day it
-- was used: the breadth an account's adoption is measured against, without scanning rollups.
CREATE TABLE usage_features (
    feature TEXT NOT NULL PRIMARY KEY,
    last_used DATE NOT NULL
){{KEYED}};
