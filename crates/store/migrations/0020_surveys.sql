-- Surveys (F-40). A survey asks one question (NPS, CSAT or the CSM's micro question) of an
-- account's contacts; each contact gets a customer link (object kind 'survey') and answers once.
CREATE TABLE surveys (
    id {{ID}},
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    kind TEXT NOT NULL,
    question TEXT,
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL DEFERRABLE INITIALLY IMMEDIATE,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX surveys_account ON surveys (account_id, created_at);
CREATE INDEX surveys_created_by ON surveys (created_by);

-- The answers: through a link (one per link: `link_id` is unique) or imported from a file
-- (`external_id` names a past answer, so importing the file again adds nothing). The kind and
-- question are copied so an imported answer stands without a survey.
CREATE TABLE survey_answers (
    id {{ID}},
    survey_id BIGINT REFERENCES surveys (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    contact_id BIGINT REFERENCES contacts (id) ON DELETE SET NULL DEFERRABLE INITIALLY IMMEDIATE,
    link_id BIGINT UNIQUE REFERENCES customer_links (id) ON DELETE SET NULL DEFERRABLE INITIALLY IMMEDIATE,
    external_id TEXT UNIQUE,
    kind TEXT NOT NULL,
    question TEXT NOT NULL,
    score BIGINT NOT NULL CHECK (score BETWEEN 0 AND 10),
    comment TEXT,
    answered_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX survey_answers_survey ON survey_answers (survey_id);
CREATE INDEX survey_answers_account ON survey_answers (account_id, kind, answered_at);
CREATE INDEX survey_answers_contact ON survey_answers (contact_id);
CREATE INDEX survey_answers_answered ON survey_answers (answered_at);

-- Contacts tagged as beta candidates (seed 001: write-ins find them), by whom and why.
CREATE TABLE beta_candidates (
    contact_id BIGINT NOT NULL PRIMARY KEY REFERENCES contacts (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    note TEXT NOT NULL DEFAULT '',
    tagged_by BIGINT REFERENCES users (id) ON DELETE SET NULL DEFERRABLE INITIALLY IMMEDIATE,
    tagged_at TIMESTAMPTZ NOT NULL
){{KEYED}};
CREATE INDEX beta_candidates_tagged_by ON beta_candidates (tagged_by);
