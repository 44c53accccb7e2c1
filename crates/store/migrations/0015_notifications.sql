-- Notifications (F-52): each person's time zone and choices, and the webhook targets admins
-- set up. The messages themselves are jobs (kinds `email` and `webhook`) in the job queue.

-- An IANA name (Europe/Berlin): the daily digest comes in the person's local morning.
ALTER TABLE users ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';

-- What a person chose for one kind of notification (0 or 1 per channel). A kind without a row
-- has the defaults: email and webhook on.
CREATE TABLE notification_preferences (
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    kind TEXT NOT NULL,
    email BIGINT NOT NULL CHECK (email IN (0, 1)),
    webhook BIGINT NOT NULL CHECK (webhook IN (0, 1)),
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, kind)
){{KEYED}};

-- Where Slack-compatible messages are posted. The signing secret is kept as it is (the HMAC
-- needs it; it is shown to the admin once and never again); `kinds` lists the notification
-- kinds the target carries, separated by spaces.
CREATE TABLE webhook_targets (
    id {{ID}},
    name TEXT NOT NULL UNIQUE,
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    enabled BIGINT NOT NULL CHECK (enabled IN (0, 1)),
    allow_private BIGINT NOT NULL CHECK (allow_private IN (0, 1)),
    kinds TEXT NOT NULL,
    -- The latest delivery attempt: when, and why it failed (NULL: it was answered with 2xx).
    last_attempt_at TIMESTAMPTZ,
    last_error TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
