-- Handoff and deal quality (F-65) and onboarding (F-36). Every account-scoped table carries
-- `account_id`.

-- The CS-qualification criteria every new handoff starts from, in order. Leaders keep the
-- list; while it is empty the domain's default list is used.
CREATE TABLE qualification_criteria (
    id {{ID}},
    position BIGINT NOT NULL,
    name TEXT NOT NULL UNIQUE
);

-- A closed deal handed from Sales to CS: the goals and pain points Sales heard, the day the
-- customer signed and the kickoff's due date (four business days later). The state moves
-- handed_off → accepted, or → rejection_requested (the CSM names unmet criteria) →
-- rejected or accepted (a leader decides).
CREATE TABLE handoffs (
    id {{ID}},
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    -- The CRM's id of the deal, for handoffs imported from it: importing again adds nothing.
    external_id TEXT UNIQUE,
    signed_on DATE NOT NULL,
    kickoff_due_on DATE NOT NULL,
    goals TEXT NOT NULL,
    pain_points TEXT NOT NULL,
    state TEXT NOT NULL,
    rejection_reason TEXT,
    rejection_requested_by BIGINT REFERENCES users (id) ON DELETE SET NULL DEFERRABLE INITIALLY IMMEDIATE,
    rejection_requested_at TIMESTAMPTZ,
    decided_by BIGINT REFERENCES users (id) ON DELETE SET NULL DEFERRABLE INITIALLY IMMEDIATE,
    decided_at TIMESTAMPTZ,
    decision_note TEXT,
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL DEFERRABLE INITIALLY IMMEDIATE,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX handoffs_account ON handoffs (account_id);
CREATE INDEX handoffs_state ON handoffs (state, signed_on);

-- The criteria as checked on one handoff (1: met, 0: not), and those a rejection cites.
CREATE TABLE handoff_criteria (
    id {{ID}},
    handoff_id BIGINT NOT NULL REFERENCES handoffs (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    position BIGINT NOT NULL,
    name TEXT NOT NULL,
    met BIGINT NOT NULL CHECK (met IN (0, 1)),
    cited BIGINT NOT NULL CHECK (cited IN (0, 1)),
    UNIQUE (handoff_id, name)
);
CREATE INDEX handoff_criteria_account ON handoff_criteria (account_id);

-- Discounts and special terms the deal desk granted to close the deal, shown later beside
-- the account's renewal outcome.
CREATE TABLE deal_exceptions (
    id {{ID}},
    handoff_id BIGINT NOT NULL REFERENCES handoffs (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX deal_exceptions_handoff ON deal_exceptions (handoff_id);
CREATE INDEX deal_exceptions_account ON deal_exceptions (account_id);

-- An onboarding project (F-36): from signature to the target date, with the kickoff due four
-- business days after signature and the sponsor's midway touchpoint; the risks; the customer's
-- answer at the end (1: done, 0: not yet), and the day it completed — only when the customer
-- said both the technical implementation and the process integration are done.
CREATE TABLE onboarding_projects (
    id {{ID}},
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    signed_on DATE NOT NULL,
    kickoff_due_on DATE NOT NULL,
    midway_on DATE NOT NULL,
    target_on DATE NOT NULL,
    risks TEXT NOT NULL,
    technical_done BIGINT CHECK (technical_done IN (0, 1)),
    process_done BIGINT CHECK (process_done IN (0, 1)),
    answered_by TEXT,
    answered_at TIMESTAMPTZ,
    completed_on DATE,
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL DEFERRABLE INITIALLY IMMEDIATE,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX onboarding_projects_account ON onboarding_projects (account_id);

-- The plan's tasks, ours or the customer's, each with its owner's name and date; done_by names
-- who ticked it (a user, or the contact through their link).
CREATE TABLE onboarding_tasks (
    id {{ID}},
    project_id BIGINT NOT NULL REFERENCES onboarding_projects (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    title TEXT NOT NULL,
    side TEXT NOT NULL,
    owner TEXT NOT NULL,
    due_on DATE NOT NULL,
    done_at TIMESTAMPTZ,
    done_by TEXT
);
CREATE INDEX onboarding_tasks_project ON onboarding_tasks (project_id, due_on);
CREATE INDEX onboarding_tasks_account ON onboarding_tasks (account_id);
