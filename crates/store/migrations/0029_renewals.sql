-- Renewals and expansion (F-62). Every account-scoped table carries `account_id`.

-- The CSM's calls on a contract's renewal, kept as a history rather than overwritten: the
-- forecast a period began with is held against what happened, so a call changed late does not
-- rewrite how well the team forecast.
CREATE TABLE renewal_calls (
    id {{ID}},
    contract_id BIGINT NOT NULL REFERENCES contracts (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    outlook TEXT NOT NULL,
    category TEXT NOT NULL,
    forecast_arr_cents BIGINT NOT NULL CHECK (forecast_arr_cents >= 0),
    note TEXT NOT NULL,
    made_by BIGINT REFERENCES users (id) ON DELETE SET NULL DEFERRABLE INITIALLY IMMEDIATE,
    made_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX renewal_calls_contract ON renewal_calls (contract_id, made_at);
CREATE INDEX renewal_calls_account ON renewal_calls (account_id);

-- How a contract's renewal closed: renewed at some ARR, or churned. One per contract.
CREATE TABLE renewal_results (
    contract_id BIGINT NOT NULL PRIMARY KEY REFERENCES contracts (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    result TEXT NOT NULL,
    renewed_arr_cents BIGINT NOT NULL CHECK (renewed_arr_cents >= 0),
    decided_on DATE NOT NULL,
    note TEXT NOT NULL,
    recorded_by BIGINT REFERENCES users (id) ON DELETE SET NULL DEFERRABLE INITIALLY IMMEDIATE,
    recorded_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX renewal_results_account ON renewal_results (account_id);

-- Who works each kind of expansion (csm or ae): the team's policy. A kind without a row keeps
-- the seed's default, which the code holds.
CREATE TABLE opportunity_routes (
    kind TEXT NOT NULL PRIMARY KEY,
    route TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

-- Upsell and cross-sell opportunities. The owner is routed by kind when the opportunity is
-- created; `routed` says why (kept, since the policy may change later).
CREATE TABLE opportunities (
    id {{ID}},
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    amount_cents BIGINT NOT NULL CHECK (amount_cents > 0),
    expected_close DATE NOT NULL,
    stage TEXT NOT NULL,
    closed_on DATE,
    note TEXT NOT NULL,
    owner_id BIGINT REFERENCES users (id) ON DELETE SET NULL DEFERRABLE INITIALLY IMMEDIATE,
    routed TEXT NOT NULL,
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL DEFERRABLE INITIALLY IMMEDIATE,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX opportunities_account ON opportunities (account_id);
CREATE INDEX opportunities_owner ON opportunities (owner_id, stage);
CREATE INDEX opportunities_close ON opportunities (expected_close);
