-- The durable job queue: everything scheduled or sent in the background (the daily rescore
-- now; reminders, digests, webhooks and emails later). A job is written in the transaction of
-- the change that causes it, so it exists exactly when that change does.
CREATE TABLE jobs (
    id {{ID}},
    kind TEXT NOT NULL,
    -- The job's input as JSON, read by the handler of its kind.
    payload TEXT NOT NULL,
    -- queued: waits for run_at; running: claimed by `worker` until lease_until (a worker that
    -- stops mid-run leaves it to be claimed again when the lease runs out); done; failed: out
    -- of attempts, last_error says why.
    state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
    run_at TIMESTAMPTZ NOT NULL,
    attempts BIGINT NOT NULL CHECK (attempts >= 0),
    max_attempts BIGINT NOT NULL CHECK (max_attempts >= 1),
    last_error TEXT,
    worker TEXT,
    lease_until TIMESTAMPTZ,
    -- A scheduled run's schedule and due time: two servers that both see it due enqueue it once.
    dedupe_key TEXT UNIQUE,
    created_at TIMESTAMPTZ NOT NULL,
    started_at TIMESTAMPTZ,
    finished_at TIMESTAMPTZ
);
-- What a worker asks for: the oldest due job of a state.
CREATE INDEX jobs_state_run_at ON jobs (state, run_at);
