-- Triggers (F-51): "when <signal> [and <condition>] then <actions>", written by admins and run
-- on the job queue. Signal, condition and actions are the domain's types as JSON.
CREATE TABLE trigger_rules (
    id {{ID}},
    name TEXT NOT NULL,
    signal TEXT NOT NULL,
    condition TEXT NOT NULL,
    actions TEXT NOT NULL,
    enabled BIGINT NOT NULL CHECK (enabled IN (0, 1)),
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL DEFERRABLE INITIALLY IMMEDIATE,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX trigger_rules_created_by ON trigger_rules (created_by);

-- Each firing: one per rule, account and cause (the unique key is what makes a rule that runs
-- again for the same cause do nothing), with what its actions did.
CREATE TABLE trigger_firings (
    id {{ID}},
    rule_id BIGINT NOT NULL REFERENCES trigger_rules (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    cause TEXT NOT NULL,
    cause_text TEXT NOT NULL,
    done TEXT NOT NULL,
    fired_at TIMESTAMPTZ NOT NULL,
    UNIQUE (rule_id, account_id, cause)
);
CREATE INDEX trigger_firings_account ON trigger_firings (account_id);
CREATE INDEX trigger_firings_rule ON trigger_firings (rule_id, fired_at);
