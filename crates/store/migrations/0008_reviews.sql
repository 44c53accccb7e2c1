-- Portfolio risk (F-23), the LxL review (F-24) and churn retrospectives (F-25).

-- The churn re-forecast's expected loss rate per exposure level: 'high', 'moderate', 'low',
-- or 'not_set' for accounts whose industry has no exposure. No row: the default rate.
CREATE TABLE churn_loss_rates (
    exposure TEXT NOT NULL PRIMARY KEY,
    loss_percent BIGINT NOT NULL CHECK (loss_percent BETWEEN 0 AND 100)
){{KEYED}};

-- One line-by-line review per quarter, started by a leader.
CREATE TABLE lxl_reviews (
    id {{ID}},
    quarter TEXT NOT NULL UNIQUE,
    started_by BIGINT REFERENCES users (id) ON DELETE SET NULL DEFERRABLE INITIALLY IMMEDIATE,
    started_on DATE NOT NULL,
    started_at TIMESTAMPTZ NOT NULL
);

-- The agenda: the accounts the review takes, with why, and their figures as they stood when
-- it started (the review discusses that picture, whatever moves after). The CSM's history,
-- challenges and asks of the business are written against the line.
CREATE TABLE lxl_lines (
    review_id BIGINT NOT NULL REFERENCES lxl_reviews (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    reasons TEXT NOT NULL,
    owner_id BIGINT REFERENCES users (id) ON DELETE SET NULL DEFERRABLE INITIALLY IMMEDIATE,
    score BIGINT,
    band TEXT,
    arr_cents BIGINT NOT NULL,
    renewal_date DATE,
    history TEXT NOT NULL,
    challenges TEXT NOT NULL,
    asks TEXT NOT NULL,
    updated_at TIMESTAMPTZ,
    PRIMARY KEY (review_id, account_id)
){{KEYED}};
CREATE INDEX lxl_lines_account_id ON lxl_lines (account_id);

-- Action items agreed at a review; open ones come back at every later review.
CREATE TABLE lxl_action_items (
    id {{ID}},
    review_id BIGINT NOT NULL REFERENCES lxl_reviews (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    description TEXT NOT NULL,
    owner_id BIGINT NOT NULL REFERENCES users (id) DEFERRABLE INITIALLY IMMEDIATE,
    due_on DATE NOT NULL,
    status TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    closed_at TIMESTAMPTZ
);
CREATE INDEX lxl_action_items_account_id ON lxl_action_items (account_id);
CREATE INDEX lxl_action_items_status ON lxl_action_items (status, due_on);

-- A churn and its retrospective: one per account (a win-back that churns again reopens it).
CREATE TABLE churn_retrospectives (
    account_id BIGINT NOT NULL PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    churned_on DATE NOT NULL,
    reason TEXT NOT NULL,
    detail TEXT NOT NULL,
    arr_lost_cents BIGINT NOT NULL,
    recorded_by BIGINT REFERENCES users (id) ON DELETE SET NULL DEFERRABLE INITIALLY IMMEDIATE,
    recorded_at TIMESTAMPTZ NOT NULL,
    prevention TEXT NOT NULL,
    exit_interview TEXT NOT NULL,
    learnings TEXT NOT NULL,
    playbook TEXT NOT NULL,
    updated_at TIMESTAMPTZ
){{KEYED}};
CREATE INDEX churn_retrospectives_churned_on ON churn_retrospectives (churned_on);
