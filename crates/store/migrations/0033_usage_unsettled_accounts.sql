-- Accounts whose usage the follower applied but whose milestones and score it has not yet
-- brought up to date. Applying a step writes its accounts here; settling (at most about once
-- a second while events keep coming, at once when the queue is empty) records the milestones,
-- rescores them and deletes their rows in one transaction. Kept in the database, not in the
-- follower's memory, so a crash or the other server on the same PostgreSQL settles them.
CREATE TABLE usage_unsettled_accounts (
    account_id BIGINT NOT NULL PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE
){{KEYED}};
