-- QBRs, EBRs and check-ins (F-35). How often each tier is owed a review, and which kind: an
-- admin setting. A tier without a row keeps the seed's practice, which the code holds (a QBR
-- a quarter for strategic accounts, check-ins for the others): an empty database stays empty.
CREATE TABLE review_cadences (
    tier TEXT NOT NULL PRIMARY KEY,
    meeting_kind TEXT NOT NULL,
    every_days BIGINT NOT NULL CHECK (every_days BETWEEN 7 AND 366),
    updated_at TIMESTAMPTZ NOT NULL
);

-- What a review adds to its meeting: the CSM's gut-check of the renewal (internal), and after
-- the meeting the pack shared with the customer's attendees — a JSON snapshot of what they
-- were shown and agreed, so the pack does not change under them as the account moves on.
CREATE TABLE business_reviews (
    meeting_id BIGINT NOT NULL PRIMARY KEY REFERENCES meetings (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    renewal_outlook TEXT,
    outlook_note TEXT NOT NULL DEFAULT '',
    pack TEXT,
    pack_shared_at TIMESTAMPTZ,
    updated_at TIMESTAMPTZ NOT NULL
);

-- The overdue list finds each account's last review of the kinds its cadence counts.
CREATE INDEX meetings_account_kind_start ON meetings (account_id, kind, starts_at);

-- A score turning red opens a reactive QBR unless one is open for the account: looked up per
-- account and source as scores are written (a daily rescore may turn thousands red at once).
CREATE INDEX tasks_account_source ON tasks (account_id, source, done_at);
