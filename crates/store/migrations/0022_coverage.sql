-- Coverage (F-42): every change of an account's executive sponsor (one of ours), written where
-- account fields are written, so the sponsor programme shows how consistent sponsorship is
-- (seed 001: the primary executive sponsor should not change).
CREATE TABLE sponsor_changes (
    id {{ID}},
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    sponsor_id BIGINT REFERENCES users (id) ON DELETE SET NULL DEFERRABLE INITIALLY IMMEDIATE,
    previous_sponsor_id BIGINT REFERENCES users (id) ON DELETE SET NULL DEFERRABLE INITIALLY IMMEDIATE,
    changed_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sponsor_changes_account ON sponsor_changes (account_id, changed_at);
CREATE INDEX sponsor_changes_sponsor ON sponsor_changes (sponsor_id);
CREATE INDEX sponsor_changes_previous ON sponsor_changes (previous_sponsor_id);
