-- Core records: the team, accounts, contacts, contracts with line items and ARR history.
--
-- One file serves SQLite and PostgreSQL. Only `{{ID}}` differs between them (SQLite's rowid
-- alias vs a PostgreSQL identity column); every other type is spelled the same on both:
-- BIGINT for integers and money in cents, TEXT, DATE, TIMESTAMPTZ. No floats and no booleans,
-- so a backup restored on the other database holds exactly the same values.
-- Every account-scoped table carries account_id (the sharding key for a distributed Postgres).
-- Foreign keys are DEFERRABLE so a restore can load tables and rows in any order and have
-- them checked once, at commit.

CREATE TABLE users (
    id {{ID}},
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    manager_id BIGINT REFERENCES users (id) DEFERRABLE INITIALLY IMMEDIATE,
    capacity BIGINT CHECK (capacity > 0),
    password_hash TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX users_manager_id ON users (manager_id);

CREATE TABLE accounts (
    id {{ID}},
    external_id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    domain TEXT,
    industry TEXT,
    employees BIGINT CHECK (employees >= 0),
    region TEXT,
    lifecycle_stage TEXT NOT NULL,
    tier TEXT,
    owner_id BIGINT REFERENCES users (id) DEFERRABLE INITIALLY IMMEDIATE,
    ae_id BIGINT REFERENCES users (id) DEFERRABLE INITIALLY IMMEDIATE,
    sponsor_id BIGINT REFERENCES users (id) DEFERRABLE INITIALLY IMMEDIATE,
    growth_potential TEXT,
    engagement_preference TEXT,
    launch_date DATE,
    first_value_date DATE,
    parent_id BIGINT REFERENCES accounts (id) DEFERRABLE INITIALLY IMMEDIATE,
    custom_fields TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
-- Every foreign-key column is indexed: lookups by owner/AE/sponsor are common, and a deleted
-- or restored parent row must find its children without a table scan.
CREATE INDEX accounts_owner_id ON accounts (owner_id);
CREATE INDEX accounts_ae_id ON accounts (ae_id);
CREATE INDEX accounts_sponsor_id ON accounts (sponsor_id);
CREATE INDEX accounts_parent_id ON accounts (parent_id);
CREATE INDEX accounts_name ON accounts (name);

CREATE TABLE contacts (
    id {{ID}},
    external_id TEXT NOT NULL UNIQUE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    first_name TEXT,
    last_name TEXT,
    email TEXT,
    title TEXT,
    role TEXT,
    influence TEXT,
    status TEXT NOT NULL,
    left_on DATE,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX contacts_account_id ON contacts (account_id);
CREATE INDEX contacts_email ON contacts (email);

CREATE TABLE contracts (
    id {{ID}},
    external_id TEXT NOT NULL UNIQUE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    name TEXT,
    start_date DATE NOT NULL,
    end_date DATE NOT NULL,
    currency TEXT NOT NULL,
    -- ARR after the latest change in contract_changes; kept in the same transaction.
    arr_cents BIGINT NOT NULL CHECK (arr_cents >= 0),
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    CHECK (end_date > start_date)
);
CREATE INDEX contracts_account_id ON contracts (account_id);
CREATE INDEX contracts_end_date ON contracts (end_date);

CREATE TABLE contract_line_items (
    id {{ID}},
    contract_id BIGINT NOT NULL REFERENCES contracts (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    position BIGINT NOT NULL,
    product TEXT NOT NULL,
    quantity BIGINT NOT NULL CHECK (quantity > 0),
    unit_price_cents BIGINT NOT NULL CHECK (unit_price_cents >= 0),
    discount_bp BIGINT NOT NULL CHECK (discount_bp BETWEEN 0 AND 10000),
    UNIQUE (contract_id, position)
);
CREATE INDEX contract_line_items_account_id ON contract_line_items (account_id);

CREATE TABLE contract_changes (
    id {{ID}},
    contract_id BIGINT NOT NULL REFERENCES contracts (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    effective_date DATE NOT NULL,
    kind TEXT NOT NULL,
    arr_before_cents BIGINT NOT NULL CHECK (arr_before_cents >= 0),
    arr_after_cents BIGINT NOT NULL CHECK (arr_after_cents >= 0),
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX contract_changes_contract_id ON contract_changes (contract_id, effective_date);
CREATE INDEX contract_changes_account_id ON contract_changes (account_id, effective_date);
