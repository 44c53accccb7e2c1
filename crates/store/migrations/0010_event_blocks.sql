-- Product-usage messages stored in blocks (F-10): one row per stored batch instead of one row,
-- and three index entries, per message. What needs a message one at a time has its own table:
-- its key (is it stored already?), its wait for an account, its person's first use of a
-- feature. The messages of usage_events move here in the migrating transaction (migrate.rs),
-- then that table goes.

-- The messages of one batch as received, framed one after another and LZ4-compressed (see
-- records/event_blocks.rs): written once, read only to rebuild the rollups.
CREATE TABLE usage_event_blocks (
    id {{ID}},
    received_at TIMESTAMPTZ NOT NULL,
    events BIGINT NOT NULL,
    body {{BYTES}} NOT NULL
);

-- The 128-bit hash of every stored messageId, as two halves: a repeated messageId is found here.
CREATE TABLE usage_message_keys (
    high BIGINT NOT NULL,
    low BIGINT NOT NULL,
    PRIMARY KEY (high, low)
){{KEYED}};

-- Messages stored without an account (its group unknown, its person not yet placed): what admins
-- see as unmatched, and what is placed, rollups and all, when the link arrives. A placed
-- message leaves this table; its block keeps it.
CREATE TABLE usage_waiting (
    id {{ID}},
    message_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    feature TEXT,
    user_key TEXT NOT NULL,
    group_id TEXT,
    occurred_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX usage_waiting_user_key ON usage_waiting (user_key);
CREATE INDEX usage_waiting_group_id ON usage_waiting (group_id);

-- When each person first used each feature on each account (F-12, F-13): milestones reached by
-- distinct people, and who is missing the key behaviours. Kept as events arrive, like the rollups.
CREATE TABLE usage_person_features (
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    feature TEXT NOT NULL,
    user_key TEXT NOT NULL,
    first_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (account_id, feature, user_key)
){{KEYED}};
INSERT INTO usage_person_features (account_id, feature, user_key, first_at)
SELECT account_id, COALESCE(feature, kind), user_key, MIN(occurred_at) FROM usage_events
WHERE account_id IS NOT NULL AND kind IN ('track', 'page', 'screen')
GROUP BY account_id, COALESCE(feature, kind), user_key;

-- Earlier ids of people (alias calls): a rebuild counts their events for the person they became.
CREATE TABLE usage_aliases (
    previous_key TEXT NOT NULL PRIMARY KEY,
    user_key TEXT NOT NULL
){{KEYED}};

INSERT INTO usage_waiting (message_id, kind, feature, user_key, group_id, occurred_at)
SELECT message_id, kind, feature, user_key, group_id, occurred_at FROM usage_events
WHERE account_id IS NULL ORDER BY id;
