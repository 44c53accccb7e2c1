-- Goals and value (F-30, seed 004's maturity level 5): the outcomes a customer wants, the
-- ecosystem each one needs, and the value received. Every table carries `account_id`.

-- A goal: an outcome with its metric, where it stood (NULL: not known yet), where it should
-- get to, by when, and how much the problem behind it hurts (1–5, as on the health card).
CREATE TABLE goals (
    id {{ID}},
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    title TEXT NOT NULL,
    metric TEXT NOT NULL,
    baseline TEXT,
    target TEXT NOT NULL,
    due_on DATE NOT NULL,
    severity BIGINT NOT NULL CHECK (severity BETWEEN 1 AND 5),
    status TEXT NOT NULL,
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL DEFERRABLE INITIALLY IMMEDIATE,
    updated_by BIGINT REFERENCES users (id) ON DELETE SET NULL DEFERRABLE INITIALLY IMMEDIATE,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX goals_account ON goals (account_id);

-- The products, services and processes a goal needs, each held to a metric and rated against
-- it (NULL: not rated yet). A rating change is also written on the account's timeline.
CREATE TABLE goal_parts (
    id {{ID}},
    goal_id BIGINT NOT NULL REFERENCES goals (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    metric TEXT NOT NULL,
    rating TEXT,
    rated_at TIMESTAMPTZ,
    rated_by BIGINT REFERENCES users (id) ON DELETE SET NULL DEFERRABLE INITIALLY IMMEDIATE,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX goal_parts_goal ON goal_parts (goal_id);
CREATE INDEX goal_parts_account ON goal_parts (account_id);
-- The portfolio's goals at risk start from the parts rated below.
CREATE INDEX goal_parts_rating ON goal_parts (rating, goal_id);

-- Value received, as recorded over time: rows are only added (the store has no way to change
-- or remove one); a goal's current value is its latest row. Partial value says how much: a
-- percent (1–99), words, or both.
CREATE TABLE goal_value (
    id {{ID}},
    goal_id BIGINT NOT NULL REFERENCES goals (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    level TEXT NOT NULL,
    percent BIGINT CHECK (percent BETWEEN 1 AND 99),
    how_much TEXT,
    note TEXT NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    recorded_by BIGINT REFERENCES users (id) ON DELETE SET NULL DEFERRABLE INITIALLY IMMEDIATE
);
CREATE INDEX goal_value_goal ON goal_value (goal_id, recorded_at);
CREATE INDEX goal_value_account ON goal_value (account_id);
