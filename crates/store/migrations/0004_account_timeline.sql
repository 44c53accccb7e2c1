-- The account's own story (F-06): edits to its fields now; notes, milestones, health changes
-- and more as those features arrive. Contract changes and the launch and first-value dates
-- are read from where they already live, not copied here.
CREATE TABLE account_timeline (
    id {{ID}},
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    occurred_at TIMESTAMPTZ NOT NULL,
    actor_id BIGINT REFERENCES users (id) ON DELETE SET NULL DEFERRABLE INITIALLY IMMEDIATE,
    kind TEXT NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX account_timeline_account_id ON account_timeline (account_id, occurred_at);
CREATE INDEX account_timeline_actor_id ON account_timeline (actor_id);
