-- Tickets and feature requests (F-43, seed 004). Support tickets as the help desk (Zendesk)
-- describes them, kept by its id: imported from CSV or received by webhook, the same ticket
-- updated in place. `tags` is the ticket's tags separated by single spaces (Zendesk tags are
-- single words). `solved_at` is set while the ticket is solved or closed.
CREATE TABLE tickets (
    id {{ID}},
    external_id TEXT NOT NULL UNIQUE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    subject TEXT NOT NULL,
    status TEXT NOT NULL,
    priority TEXT NOT NULL,
    requester_email TEXT,
    tags TEXT NOT NULL,
    opened_at TIMESTAMPTZ NOT NULL,
    changed_at TIMESTAMPTZ NOT NULL,
    solved_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX tickets_account ON tickets (account_id, opened_at);

-- Bugs and feature requests, each linked to the accounts that asked for it (their ARR summed
-- is its demand). A Jira key ties it to the issue whose webhook moves its status.
CREATE TABLE product_requests (
    id {{ID}},
    title TEXT NOT NULL,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL,
    jira_key TEXT UNIQUE,
    status TEXT NOT NULL,
    shipped_at TIMESTAMPTZ,
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL DEFERRABLE INITIALLY IMMEDIATE,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX product_requests_created_by ON product_requests (created_by);
CREATE INDEX product_requests_status ON product_requests (status);

CREATE TABLE product_request_accounts (
    request_id BIGINT NOT NULL REFERENCES product_requests (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    linked_by BIGINT REFERENCES users (id) ON DELETE SET NULL DEFERRABLE INITIALLY IMMEDIATE,
    linked_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (request_id, account_id)
);
CREATE INDEX product_request_accounts_account ON product_request_accounts (account_id);
CREATE INDEX product_request_accounts_linked_by ON product_request_accounts (linked_by);
