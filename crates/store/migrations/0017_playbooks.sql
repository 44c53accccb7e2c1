-- The playbook library (F-32). Each segment (an account tier) keeps at most five outcomes: a
-- new outcome takes a free slot 1–5 of its tier, and the unique (tier, slot) pair makes the
-- database itself refuse a sixth, even when two leaders add one at the same moment.
CREATE TABLE playbook_outcomes (
    id {{ID}},
    tier TEXT NOT NULL,
    slot BIGINT NOT NULL CHECK (slot BETWEEN 1 AND 5),
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    updated_by BIGINT REFERENCES users (id) ON DELETE SET NULL DEFERRABLE INITIALLY IMMEDIATE,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    UNIQUE (tier, slot)
);

-- A tactic keeps its id while its outcome is edited, so a success plan can name it.
CREATE TABLE playbook_tactics (
    id {{ID}},
    outcome_id BIGINT NOT NULL REFERENCES playbook_outcomes (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    position BIGINT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL
);
CREATE INDEX playbook_tactics_outcome ON playbook_tactics (outcome_id, position);

-- Case studies and ROI figures are part of their outcome's text: rewritten with it.
CREATE TABLE playbook_case_studies (
    outcome_id BIGINT NOT NULL REFERENCES playbook_outcomes (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    position BIGINT NOT NULL,
    title TEXT NOT NULL,
    customer TEXT NOT NULL,
    story TEXT NOT NULL,
    PRIMARY KEY (outcome_id, position)
){{KEYED}};

-- `value_hundredths`: the figure's number as an exact count of hundredths (no floats).
CREATE TABLE playbook_roi_figures (
    outcome_id BIGINT NOT NULL REFERENCES playbook_outcomes (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    position BIGINT NOT NULL,
    label TEXT NOT NULL,
    value_hundredths BIGINT NOT NULL,
    unit TEXT NOT NULL,
    PRIMARY KEY (outcome_id, position)
){{KEYED}};

-- One outreach template per industry-exposure level, by its approach (seed 004):
-- open_question (high), menu_of_options (moderate), open_channel (low).
CREATE TABLE risk_playbooks (
    approach TEXT NOT NULL PRIMARY KEY,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    updated_by BIGINT REFERENCES users (id) ON DELETE SET NULL DEFERRABLE INITIALLY IMMEDIATE,
    updated_at TIMESTAMPTZ NOT NULL
){{KEYED}};

-- A churn retrospective's request to change a playbook: an outcome or a risk playbook, with
-- what should change. Open until a leader resolves it.
CREATE TABLE playbook_change_requests (
    id {{ID}},
    account_id BIGINT NOT NULL REFERENCES churn_retrospectives (account_id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    outcome_id BIGINT REFERENCES playbook_outcomes (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    approach TEXT,
    note TEXT NOT NULL,
    requested_by BIGINT REFERENCES users (id) ON DELETE SET NULL DEFERRABLE INITIALLY IMMEDIATE,
    requested_at TIMESTAMPTZ NOT NULL,
    resolved_by BIGINT REFERENCES users (id) ON DELETE SET NULL DEFERRABLE INITIALLY IMMEDIATE,
    resolved_at TIMESTAMPTZ,
    CHECK ((outcome_id IS NULL) <> (approach IS NULL))
);
CREATE INDEX playbook_change_requests_account ON playbook_change_requests (account_id);
CREATE INDEX playbook_change_requests_outcome ON playbook_change_requests (outcome_id);
