-- Experience levels (F-60, seed 004): what an account is entitled to — a QBR at least every
-- so many days, a review of any kind at least every so many days (NULL: none), and a named
-- CSM or a pool. Levels do not match tiers one to one: each tier has the level its accounts
-- get, and an account can be placed in another. They replace the review cadence per tier:
-- the migration's second step turns each tier's cadence (or the practice the code held for a
-- tier without one) into a level of that tier's name.
CREATE TABLE experience_levels (
    id {{ID}},
    name TEXT NOT NULL UNIQUE,
    qbr_every_days BIGINT CHECK (qbr_every_days BETWEEN 7 AND 366),
    check_in_every_days BIGINT CHECK (check_in_every_days BETWEEN 7 AND 366),
    coverage TEXT NOT NULL,
    updated_by BIGINT REFERENCES users (id) ON DELETE SET NULL DEFERRABLE INITIALLY IMMEDIATE,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE tier_experience (
    tier TEXT NOT NULL PRIMARY KEY,
    level_id BIGINT NOT NULL REFERENCES experience_levels (id) DEFERRABLE INITIALLY IMMEDIATE
);

-- An account placed in a level other than its tier's (NULL: its tier's).
ALTER TABLE accounts ADD COLUMN experience_level_id BIGINT REFERENCES experience_levels (id) ON DELETE SET NULL DEFERRABLE INITIALLY IMMEDIATE;
CREATE INDEX accounts_experience_level ON accounts (experience_level_id);
