-- Capacity (F-61). Each tier's benchmark book size per CSM and how long one of its review
-- meetings takes, as a leader set them; a tier without a row keeps seed 004's benchmarks,
-- which the code holds (an empty database stays empty).
CREATE TABLE capacity_benchmarks (
    tier TEXT NOT NULL PRIMARY KEY,
    min_accounts BIGINT NOT NULL CHECK (min_accounts BETWEEN 1 AND 1000),
    max_accounts BIGINT NOT NULL CHECK (max_accounts BETWEEN 1 AND 1000 AND max_accounts >= min_accounts),
    review_minutes BIGINT NOT NULL CHECK (review_minutes BETWEEN 5 AND 480),
    updated_by BIGINT REFERENCES users (id) ON DELETE SET NULL DEFERRABLE INITIALLY IMMEDIATE,
    updated_at TIMESTAMPTZ NOT NULL
);

-- The customer meeting hours a month one CSM has: one row at most (40 without it).
CREATE TABLE capacity_settings (
    singleton BIGINT NOT NULL PRIMARY KEY CHECK (singleton = 1),
    meeting_hours_per_month BIGINT NOT NULL CHECK (meeting_hours_per_month BETWEEN 1 AND 200),
    updated_by BIGINT REFERENCES users (id) ON DELETE SET NULL DEFERRABLE INITIALLY IMMEDIATE,
    updated_at TIMESTAMPTZ NOT NULL
){{KEYED}};

-- Team 1:1s (F-66). A 1:1 a leader held with someone who reports to them, on seed 004's
-- template, with the person's book figures as they stood (JSON: they are what was discussed,
-- and do not follow the book afterwards). Private to the two of them.
CREATE TABLE one_on_ones (
    id {{ID}},
    leader_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    csm_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    held_on DATE NOT NULL,
    look_around TEXT NOT NULL,
    look_back TEXT NOT NULL,
    look_forward TEXT NOT NULL,
    figures TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
-- The roster reads each person's last 1:1; a leader's list reads theirs.
CREATE INDEX one_on_ones_csm_held ON one_on_ones (csm_id, held_on);
CREATE INDEX one_on_ones_leader_held ON one_on_ones (leader_id, held_on);

-- A person's long-term goals and every change of their status, with who changed it and why.
CREATE TABLE career_goals (
    id {{ID}},
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    title TEXT NOT NULL,
    target_on DATE,
    status TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX career_goals_user ON career_goals (user_id);

CREATE TABLE career_goal_changes (
    id {{ID}},
    goal_id BIGINT NOT NULL REFERENCES career_goals (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    status TEXT NOT NULL,
    note TEXT NOT NULL,
    changed_by BIGINT REFERENCES users (id) ON DELETE SET NULL DEFERRABLE INITIALLY IMMEDIATE,
    changed_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX career_goal_changes_goal ON career_goal_changes (goal_id, changed_at);

-- Anonymous feedback to leadership: no author, no address, only the day — and a random key
-- (not an identity column), so not even the order of submissions is kept.
CREATE TABLE leadership_feedback (
    id BIGINT NOT NULL PRIMARY KEY,
    submitted_on DATE NOT NULL,
    topic TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX leadership_feedback_day ON leadership_feedback (submitted_on);

-- Segmentation (F-60): the tier formula an admin set, one row at most (the code holds the
-- default). Growth potential and engagement preference are already the accounts' own fields;
-- engagement is read from the current health score.
CREATE TABLE segment_formula (
    singleton BIGINT NOT NULL PRIMARY KEY CHECK (singleton = 1),
    arr_weight BIGINT NOT NULL CHECK (arr_weight BETWEEN 0 AND 100),
    growth_weight BIGINT NOT NULL CHECK (growth_weight BETWEEN 0 AND 100),
    engagement_weight BIGINT NOT NULL CHECK (engagement_weight BETWEEN 0 AND 100),
    preference_weight BIGINT NOT NULL CHECK (preference_weight BETWEEN 0 AND 100),
    strategic_from BIGINT NOT NULL CHECK (strategic_from BETWEEN 0 AND 100),
    enterprise_from BIGINT NOT NULL CHECK (enterprise_from BETWEEN 0 AND 100),
    mid_tier_from BIGINT NOT NULL CHECK (mid_tier_from BETWEEN 0 AND 100),
    updated_by BIGINT REFERENCES users (id) ON DELETE SET NULL DEFERRABLE INITIALLY IMMEDIATE,
    updated_at TIMESTAMPTZ NOT NULL
){{KEYED}};
