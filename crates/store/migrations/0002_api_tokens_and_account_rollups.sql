-- API tokens: named credentials for scripts and integrations (Bearer auth). A token either has
-- a role of its own (an integration) or acts as one user, with that user's current role.
-- Only a SHA-256 hash of the secret is stored; the prefix lets people recognise a token.
CREATE TABLE api_tokens (
    id {{ID}},
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    user_id BIGINT REFERENCES users (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    prefix TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ
);
CREATE INDEX api_tokens_user_id ON api_tokens (user_id);

-- Each account's current ARR (sum over its contracts) and next renewal (earliest end date of
-- a contract with ARR), kept in the same transaction as every contract change, so lists can
-- filter and sort by them with an index at 100,000 accounts.
ALTER TABLE accounts ADD COLUMN arr_cents BIGINT NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN renewal_date DATE;
CREATE INDEX accounts_arr_cents ON accounts (arr_cents, id);
CREATE INDEX accounts_renewal_date ON accounts (renewal_date, id);
-- The list's common filter + sort pairs ("my book by ARR", "strategic accounts by ARR", …):
-- with the filter column first, a page is a short index range, not a scan past other rows.
CREATE INDEX accounts_tier_arr ON accounts (tier, arr_cents, id);
CREATE INDEX accounts_owner_arr ON accounts (owner_id, arr_cents, id);
CREATE INDEX accounts_owner_name ON accounts (owner_id, name, id);
CREATE INDEX accounts_stage_arr ON accounts (lifecycle_stage, arr_cents, id);
