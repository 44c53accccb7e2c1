-- The agile cycle (F-33, F-34; seeds 000 and 003). The workspace's sprint rhythm: one row at
-- most; without it a sprint lasts eight weeks with monthly retrospectives (the code holds the
-- defaults, so an empty database stays empty).
CREATE TABLE sprint_settings (
    singleton BIGINT NOT NULL PRIMARY KEY CHECK (singleton = 1),
    sprint_weeks BIGINT NOT NULL CHECK (sprint_weeks BETWEEN 2 AND 26),
    retro_cadence TEXT NOT NULL,
    updated_by BIGINT REFERENCES users (id) ON DELETE SET NULL DEFERRABLE INITIALLY IMMEDIATE,
    updated_at TIMESTAMPTZ NOT NULL
){{KEYED}};

-- A sprint of an account: numbered per account, its days, what it is for. A sprint that
-- re-engages a slipping customer keeps why it slipped and the root cause found (seed 003's
-- questions); `ended_on` is set when a new sprint starts before this one ran its course.
CREATE TABLE sprints (
    id {{ID}},
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    number BIGINT NOT NULL CHECK (number >= 1),
    starts_on DATE NOT NULL,
    ends_on DATE NOT NULL,
    ended_on DATE,
    focus TEXT NOT NULL,
    retro_cadence TEXT NOT NULL,
    slipped TEXT,
    cause_side TEXT,
    cause_same_goals TEXT,
    cause_communication TEXT,
    cause_too_fast TEXT,
    cause_misunderstood TEXT,
    cause_skills_gap TEXT,
    cause_note TEXT,
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL DEFERRABLE INITIALLY IMMEDIATE,
    created_at TIMESTAMPTZ NOT NULL,
    UNIQUE (account_id, number),
    CHECK (ends_on >= starts_on)
);

-- A sprint's goals: at most three (slots 1–3, so the database refuses a fourth), each one of
-- the account's goals or a tactic of its plan, its title kept as it was when picked.
CREATE TABLE sprint_goals (
    id {{ID}},
    sprint_id BIGINT NOT NULL REFERENCES sprints (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    slot BIGINT NOT NULL CHECK (slot BETWEEN 1 AND 3),
    goal_id BIGINT REFERENCES goals (id) ON DELETE SET NULL DEFERRABLE INITIALLY IMMEDIATE,
    plan_tactic_id BIGINT REFERENCES plan_tactics (id) ON DELETE SET NULL DEFERRABLE INITIALLY IMMEDIATE,
    title TEXT NOT NULL,
    progress BIGINT NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
    done_on DATE,
    updated_at TIMESTAMPTZ NOT NULL,
    UNIQUE (sprint_id, slot)
);
CREATE INDEX sprint_goals_goal ON sprint_goals (goal_id);
CREATE INDEX sprint_goals_tactic ON sprint_goals (plan_tactic_id);

-- Quick wins: outcomes the customer achieved during a sprint, dated.
CREATE TABLE sprint_wins (
    id {{ID}},
    sprint_id BIGINT NOT NULL REFERENCES sprints (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    title TEXT NOT NULL,
    achieved_on DATE NOT NULL,
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL DEFERRABLE INITIALLY IMMEDIATE,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sprint_wins_sprint ON sprint_wins (sprint_id);

-- What a retrospective adds to its meeting: the answers to the three questions, the sprint it
-- belongs to, and once closed the next one (which must be set to close it).
CREATE TABLE retrospectives (
    meeting_id BIGINT NOT NULL PRIMARY KEY REFERENCES meetings (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    sprint_id BIGINT REFERENCES sprints (id) ON DELETE SET NULL DEFERRABLE INITIALLY IMMEDIATE,
    continue_or_start TEXT NOT NULL DEFAULT '',
    stop_doing TEXT NOT NULL DEFAULT '',
    ideas TEXT NOT NULL DEFAULT '',
    next_meeting_id BIGINT REFERENCES meetings (id) ON DELETE SET NULL DEFERRABLE INITIALLY IMMEDIATE,
    closed_at TIMESTAMPTZ,
    closed_by BIGINT REFERENCES users (id) ON DELETE SET NULL DEFERRABLE INITIALLY IMMEDIATE,
    updated_at TIMESTAMPTZ NOT NULL
){{KEYED}};
CREATE INDEX retrospectives_sprint ON retrospectives (sprint_id);
CREATE INDEX retrospectives_next ON retrospectives (next_meeting_id);

-- The challenges the customer vented, each with its suspected root cause.
CREATE TABLE retro_challenges (
    id {{ID}},
    meeting_id BIGINT NOT NULL REFERENCES retrospectives (meeting_id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    description TEXT NOT NULL,
    suspected_cause TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX retro_challenges_meeting ON retro_challenges (meeting_id);
