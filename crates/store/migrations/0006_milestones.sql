-- Milestones (F-12): a feature used at least `threshold` times (threshold_kind 'times') or by
-- that many people ('people') within `within_days` of the account's launch date. At most one
-- is the first-value milestone (first_value = 1), whose achievement ends Land.
CREATE TABLE milestones (
    id {{ID}},
    name TEXT NOT NULL UNIQUE,
    feature TEXT NOT NULL,
    threshold_kind TEXT NOT NULL,
    threshold BIGINT NOT NULL CHECK (threshold > 0),
    within_days BIGINT NOT NULL CHECK (within_days > 0),
    first_value BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX milestones_one_first_value ON milestones (first_value) WHERE first_value = 1;

-- When each account reached each milestone: recorded once, as soon as the events show it.
CREATE TABLE milestone_achievements (
    milestone_id BIGINT NOT NULL REFERENCES milestones (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    achieved_on DATE NOT NULL,
    PRIMARY KEY (milestone_id, account_id)
){{KEYED}};
CREATE INDEX milestone_achievements_account_id ON milestone_achievements (account_id);
