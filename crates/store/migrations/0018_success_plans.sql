-- Success and value plans (F-31): one plan per account, written with the customer, shared
-- through a customer link, reviewed and approved by a named contact. `version` rises with each
-- change of the plan's content; a review or approval names the version the contact read, so
-- an approval never carries over to a plan edited afterwards.
CREATE TABLE success_plans (
    id {{ID}},
    account_id BIGINT NOT NULL UNIQUE REFERENCES accounts (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    title TEXT NOT NULL,
    summary TEXT NOT NULL,
    state TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL DEFERRABLE INITIALLY IMMEDIATE,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

-- The tactics being worked (at most three active at once: checked where they are written),
-- some taken from the playbook library (F-32), which keeps its own copy of the text.
CREATE TABLE plan_tactics (
    id {{ID}},
    plan_id BIGINT NOT NULL REFERENCES success_plans (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    library_tactic_id BIGINT REFERENCES playbook_tactics (id) ON DELETE SET NULL DEFERRABLE INITIALLY IMMEDIATE,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    state TEXT NOT NULL,
    due_on DATE,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX plan_tactics_plan ON plan_tactics (plan_id);

-- Each version's content as the customer would have read it (JSON), for the record.
CREATE TABLE plan_versions (
    plan_id BIGINT NOT NULL REFERENCES success_plans (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    version BIGINT NOT NULL,
    content TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (plan_id, version)
){{KEYED}};

-- Links a customer contact opens without an account. Only the SHA-256 of the secret is kept.
-- A link is bound to one object (`object_kind`, `object_id`), one contact and the actions it
-- allows (comma-separated); it ends at `expires_at` or when revoked.
CREATE TABLE customer_links (
    id {{ID}},
    token_hash TEXT NOT NULL UNIQUE,
    object_kind TEXT NOT NULL,
    object_id BIGINT NOT NULL,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    contact_id BIGINT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    actions TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ,
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL DEFERRABLE INITIALLY IMMEDIATE,
    created_at TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ
);
CREATE INDEX customer_links_object ON customer_links (object_kind, object_id);

-- What the customer said on a plan version, and what we answered.
CREATE TABLE plan_comments (
    id {{ID}},
    plan_id BIGINT NOT NULL REFERENCES success_plans (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    version BIGINT NOT NULL,
    contact_id BIGINT REFERENCES contacts (id) ON DELETE SET NULL DEFERRABLE INITIALLY IMMEDIATE,
    user_id BIGINT REFERENCES users (id) ON DELETE SET NULL DEFERRABLE INITIALLY IMMEDIATE,
    author TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX plan_comments_plan ON plan_comments (plan_id, created_at);

-- Reviews and sign-offs, one per plan version and contact: doing it twice records it once.
CREATE TABLE plan_sign_offs (
    plan_id BIGINT NOT NULL REFERENCES success_plans (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    version BIGINT NOT NULL,
    contact_id BIGINT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    kind TEXT NOT NULL CHECK (kind IN ('reviewed', 'approved')),
    -- The name the contact typed to approve (empty for a review).
    signature TEXT NOT NULL,
    link_id BIGINT REFERENCES customer_links (id) ON DELETE SET NULL DEFERRABLE INITIALLY IMMEDIATE,
    signed_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (plan_id, version, contact_id, kind)
){{KEYED}};

-- The monthly check-ins an approval scheduled: one per plan and month, so approving a later
-- version does not book a month twice.
CREATE TABLE plan_check_ins (
    plan_id BIGINT NOT NULL REFERENCES success_plans (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    month TEXT NOT NULL,
    meeting_id BIGINT REFERENCES meetings (id) ON DELETE SET NULL DEFERRABLE INITIALLY IMMEDIATE,
    PRIMARY KEY (plan_id, month)
){{KEYED}};
