-- Meetings and notes (F-37): every kind of conversation with a customer, logged on its account.
-- Times are UTC instants; `time_zone` is the IANA zone the meeting was planned in (what its
-- calendar entry and its page show). `sequence` rises each time the meeting moves or is
-- cancelled, as RFC 5545 asks of a calendar entry that changes.
CREATE TABLE meetings (
    id {{ID}},
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    starts_at TIMESTAMPTZ NOT NULL,
    duration_minutes BIGINT NOT NULL CHECK (duration_minutes >= 0),
    time_zone TEXT NOT NULL,
    -- Markdown as written; rendered and sanitised when shown.
    notes TEXT NOT NULL,
    cancelled_at TIMESTAMPTZ,
    sequence BIGINT NOT NULL DEFAULT 0,
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL DEFERRABLE INITIALLY IMMEDIATE,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX meetings_account_starts ON meetings (account_id, starts_at);
CREATE INDEX meetings_starts ON meetings (starts_at);

-- Who attends: people of our team or the customer's contacts, one row each.
CREATE TABLE meeting_attendees (
    meeting_id BIGINT NOT NULL REFERENCES meetings (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    user_id BIGINT REFERENCES users (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    contact_id BIGINT REFERENCES contacts (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    CHECK ((user_id IS NULL) <> (contact_id IS NULL))
);
CREATE UNIQUE INDEX meeting_attendees_user ON meeting_attendees (meeting_id, user_id);
CREATE UNIQUE INDEX meeting_attendees_contact ON meeting_attendees (meeting_id, contact_id);
CREATE INDEX meeting_attendees_by_user ON meeting_attendees (user_id);

-- Promises: what one side told the other it would do, by when. Owned by one of our users or by
-- one of the customer's contacts. Made in a meeting, at an LxL review, or on their own.
-- `done_on` is the day it was done, which says whether it was kept on time.
CREATE TABLE promises (
    id {{ID}},
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    meeting_id BIGINT REFERENCES meetings (id) ON DELETE SET NULL DEFERRABLE INITIALLY IMMEDIATE,
    review_id BIGINT REFERENCES lxl_reviews (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    description TEXT NOT NULL,
    owner_user_id BIGINT REFERENCES users (id) DEFERRABLE INITIALLY IMMEDIATE,
    owner_contact_id BIGINT REFERENCES contacts (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    due_on DATE NOT NULL,
    status TEXT NOT NULL,
    done_on DATE,
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL DEFERRABLE INITIALLY IMMEDIATE,
    created_at TIMESTAMPTZ NOT NULL,
    closed_at TIMESTAMPTZ,
    CHECK ((owner_user_id IS NULL) <> (owner_contact_id IS NULL))
);
CREATE INDEX promises_account_due ON promises (account_id, due_on);
CREATE INDEX promises_status_due ON promises (status, due_on);
CREATE INDEX promises_owner_user ON promises (owner_user_id, status);
CREATE INDEX promises_review ON promises (review_id);
CREATE INDEX promises_meeting ON promises (meeting_id);

-- The LxL review's action items become promises, keeping their ids (the Rust step sets
-- done_on and PostgreSQL's identity past them).
INSERT INTO promises (id, account_id, review_id, description, owner_user_id, due_on, status, created_at, closed_at)
SELECT id, account_id, review_id, description, owner_id, due_on, status, created_at, closed_at FROM lxl_action_items;

-- A user's own to-do list: by hand, from a promise of theirs, later from playbooks and triggers.
-- A task made from a promise finishes with it (and the other way round).
CREATE TABLE tasks (
    id {{ID}},
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    account_id BIGINT REFERENCES accounts (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    promise_id BIGINT UNIQUE REFERENCES promises (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    title TEXT NOT NULL,
    source TEXT NOT NULL,
    due_on DATE,
    snoozed_until DATE,
    done_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX tasks_user_open ON tasks (user_id, done_at, due_on);
INSERT INTO tasks (user_id, account_id, promise_id, title, source, due_on, created_at)
SELECT owner_id, account_id, id, description, 'promise', due_on, created_at FROM lxl_action_items WHERE status = 'open';

DROP TABLE lxl_action_items;

-- Private iCalendar feeds: a user's meetings, or an account's. The secret in the URL is kept as
-- written so the profile page can show it again (anyone who can read this table can read the
-- meetings themselves); revoking a feed ends its URL for good.
CREATE TABLE calendar_feeds (
    id {{ID}},
    user_id BIGINT REFERENCES users (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    account_id BIGINT REFERENCES accounts (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    secret TEXT NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ,
    CHECK ((user_id IS NULL) <> (account_id IS NULL))
);
CREATE INDEX calendar_feeds_user ON calendar_feeds (user_id);
CREATE INDEX calendar_feeds_account ON calendar_feeds (account_id);

-- A line of someone's Today list put aside until a day.
CREATE TABLE today_snoozes (
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    item TEXT NOT NULL,
    until_on DATE NOT NULL,
    PRIMARY KEY (user_id, item)
){{KEYED}};
