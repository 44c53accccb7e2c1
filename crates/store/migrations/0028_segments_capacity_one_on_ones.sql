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
