-- Champion health (F-41). The CSM's answer to "will this person own the relationship in 12
-- months?" (seed 004: part of a champion's influence), one per contact.
CREATE TABLE relationship_outlooks (
    contact_id BIGINT NOT NULL PRIMARY KEY REFERENCES contacts (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    will_own BIGINT NOT NULL CHECK (will_own IN (0, 1)),
    set_by BIGINT REFERENCES users (id) ON DELETE SET NULL DEFERRABLE INITIALLY IMMEDIATE,
    set_at TIMESTAMPTZ NOT NULL
){{KEYED}};
CREATE INDEX relationship_outlooks_set_by ON relationship_outlooks (set_by);

-- Emails that bounced, by address (lower case): refused for good by the SMTP server when
-- Lodestar sent them, or reported through the API (an email provider's bounce webhook). A
-- quiet champion whose address bounces has probably left.
CREATE TABLE email_bounces (
    id {{ID}},
    email TEXT NOT NULL,
    reason TEXT NOT NULL,
    bounced_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX email_bounces_email ON email_bounces (email, bounced_at);

-- Who at an account asked for a bug fix or feature: a champion's delight counts their requests
-- shipped.
ALTER TABLE product_request_accounts ADD COLUMN contact_id BIGINT REFERENCES contacts (id) ON DELETE SET NULL DEFERRABLE INITIALLY IMMEDIATE;
CREATE INDEX product_request_accounts_contact ON product_request_accounts (contact_id);
