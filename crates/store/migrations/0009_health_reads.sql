-- Faster health reads and writes (F-20).

-- Each person's recent activity on each account (F-20): the last active day and the 64 days up
-- to it as bits (bit i: active on last_day - i; see domain::usage::RecentActivity). Kept with
-- usage_user_days as events arrive and rebuilt with it; the health measures read one row per
-- person instead of one per person and day. Filled from usage_user_days when created.
CREATE TABLE usage_person_activity (
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    user_key TEXT NOT NULL,
    last_day DATE NOT NULL,
    recent_days BIGINT NOT NULL,
    PRIMARY KEY (account_id, user_key)
){{KEYED}};

-- Daily health snapshots, re-keyed by day first: a day's snapshots of every account are
-- appended together (keyed by account first, the daily recompute touched every account's pages,
-- more of them each day of history), and an account's history is read day by day (an index
-- lookup each). No foreign key: its cascade would scan the table for each deleted account;
-- deleting an account deletes its snapshots day by day instead. An ordinary table: a kilobyte
-- of explanation per row is too wide for WITHOUT ROWID. The current score keeps only its
-- figures; its explanation is the snapshot of its day (written in the same transaction), so a
-- recompute writes each explanation once. Every current score already has that snapshot (they
-- were always written together); the NOT EXISTS only makes sure.
CREATE TABLE health_snapshots_by_day (
    day DATE NOT NULL,
    account_id BIGINT NOT NULL,
    score BIGINT NOT NULL CHECK (score BETWEEN 0 AND 100),
    band TEXT NOT NULL,
    measures TEXT NOT NULL,
    PRIMARY KEY (day, account_id)
);
INSERT INTO health_snapshots_by_day (day, account_id, score, band, measures)
    SELECT day, account_id, score, band, measures FROM health_snapshots ORDER BY day, account_id;
INSERT INTO health_snapshots_by_day (day, account_id, score, band, measures)
    SELECT h.day, h.account_id, h.score, h.band, h.measures FROM health_scores h
    WHERE NOT EXISTS (SELECT 1 FROM health_snapshots_by_day n WHERE n.day = h.day AND n.account_id = h.account_id);
DROP TABLE health_snapshots;
ALTER TABLE health_snapshots_by_day RENAME TO health_snapshots;

CREATE TABLE health_scores_slim (
    account_id BIGINT NOT NULL PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    scorecard_id BIGINT NOT NULL REFERENCES scorecards (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    score BIGINT NOT NULL CHECK (score BETWEEN 0 AND 100),
    band TEXT NOT NULL,
    day DATE NOT NULL,
    computed_at TIMESTAMPTZ NOT NULL
){{KEYED}};
INSERT INTO health_scores_slim (account_id, scorecard_id, score, band, day, computed_at)
    SELECT account_id, scorecard_id, score, band, day, computed_at FROM health_scores;
DROP TABLE health_scores;
ALTER TABLE health_scores_slim RENAME TO health_scores;
CREATE INDEX health_scores_scorecard_id ON health_scores (scorecard_id);
CREATE INDEX health_scores_band ON health_scores (band, score);
