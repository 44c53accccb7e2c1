-- Health scores (F-20, F-21) and the inputs only people give: CSM pulses, problem severity,
-- industry exposure and per-segment price thresholds.

-- A scorecard scores the accounts of one segment (tier) and lifecycle stage; '' means "any"
-- ('' rather than NULL so that UNIQUE holds on both databases). measures is the JSON list of
-- {measure, weight, zero_at, full_at}. The any/any card is created on first use and always
-- exists after: every account has a card.
CREATE TABLE scorecards (
    id {{ID}},
    name TEXT NOT NULL UNIQUE,
    tier TEXT NOT NULL,
    lifecycle_stage TEXT NOT NULL,
    red_below BIGINT NOT NULL CHECK (red_below BETWEEN 1 AND 100),
    green_from BIGINT NOT NULL CHECK (green_from BETWEEN 1 AND 100),
    measures TEXT NOT NULL,
    UNIQUE (tier, lifecycle_stage)
);

-- Each account's current score, recomputed in the transaction that changes one of its
-- inputs. measures is the JSON explanation: each measure's reading, points, weight and share.
-- No row: nothing to score yet (no measure has data), or the account churned.
CREATE TABLE health_scores (
    account_id BIGINT NOT NULL PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    scorecard_id BIGINT NOT NULL REFERENCES scorecards (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    score BIGINT NOT NULL CHECK (score BETWEEN 0 AND 100),
    band TEXT NOT NULL,
    measures TEXT NOT NULL,
    day DATE NOT NULL,
    computed_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX health_scores_scorecard_id ON health_scores (scorecard_id);
CREATE INDEX health_scores_band ON health_scores (band, score);

-- The last score of each day: the history, and "what changed since last week".
CREATE TABLE health_snapshots (
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    day DATE NOT NULL,
    score BIGINT NOT NULL CHECK (score BETWEEN 0 AND 100),
    band TEXT NOT NULL,
    measures TEXT NOT NULL,
    PRIMARY KEY (account_id, day)
){{KEYED}};

-- The CSM's read of the relationship (1 very negative … 5 very positive), always with a reason.
CREATE TABLE account_pulses (
    id {{ID}},
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    level BIGINT NOT NULL CHECK (level BETWEEN 1 AND 5),
    reason TEXT NOT NULL,
    author_id BIGINT REFERENCES users (id) ON DELETE SET NULL DEFERRABLE INITIALLY IMMEDIATE,
    recorded_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX account_pulses_account_id ON account_pulses (account_id, recorded_at);
CREATE INDEX account_pulses_author_id ON account_pulses (author_id);

-- The account's current problem, 1 "not important" to 5 "on fire".
CREATE TABLE account_problems (
    account_id BIGINT NOT NULL PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    severity BIGINT NOT NULL CHECK (severity BETWEEN 1 AND 5),
    note TEXT NOT NULL,
    updated_by BIGINT REFERENCES users (id) ON DELETE SET NULL DEFERRABLE INITIALLY IMMEDIATE,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX account_problems_updated_by ON account_problems (updated_by);

-- How exposed each industry is to the current shock: low, moderate or high.
CREATE TABLE industry_exposures (
    industry TEXT NOT NULL PRIMARY KEY,
    exposure TEXT NOT NULL
){{KEYED}};

-- Per segment (tier), the ARR below which a customer pays less than the segment should.
CREATE TABLE price_thresholds (
    tier TEXT NOT NULL PRIMARY KEY,
    min_arr_cents BIGINT NOT NULL CHECK (min_arr_cents > 0)
){{KEYED}};
