-- Subscription history (F-63, F-64): a team's billing history, one row per subscription
-- period as billing systems export it, and the typed MRR history derived from it. Every
-- account-scoped table carries `account_id`.

-- One subscription period: a product from `start_date` up to (not including) `end_date` — none
-- while it runs —, billed `mrr_cents` a month net of the discount. `lodestar import
-- subscriptions` replaces an account's rows whole; `contract_id` is the contract the import
-- made for the stretch of activity the period belongs to (none for a stretch not begun yet).
CREATE TABLE subscriptions (
    id {{ID}},
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    contract_id BIGINT REFERENCES contracts (id) ON DELETE SET NULL DEFERRABLE INITIALLY IMMEDIATE,
    product TEXT NOT NULL,
    start_date DATE NOT NULL,
    end_date DATE,
    mrr_cents BIGINT NOT NULL CHECK (mrr_cents > 0),
    quantity BIGINT NOT NULL CHECK (quantity > 0),
    discount_bp BIGINT NOT NULL CHECK (discount_bp BETWEEN 0 AND 9999),
    created_at TIMESTAMPTZ NOT NULL,
    CHECK (end_date IS NULL OR end_date > start_date)
);
CREATE INDEX subscriptions_account_start ON subscriptions (account_id, start_date);
CREATE INDEX subscriptions_contract ON subscriptions (contract_id);

-- Every change of an account's MRR, typed (new, expansion, contraction, churn, reactivation),
-- written with the subscriptions by the domain's `revenue::movements`. Retention and retention
-- curves read these rather than the periods — a renewal at the same price is no movement, so
-- five years of monthly rows are a handful of movements — in one pass ordered by this index.
CREATE TABLE mrr_movements (
    id {{ID}},
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    effective_date DATE NOT NULL,
    kind TEXT NOT NULL,
    mrr_before_cents BIGINT NOT NULL CHECK (mrr_before_cents >= 0),
    mrr_after_cents BIGINT NOT NULL CHECK (mrr_after_cents >= 0)
);
CREATE INDEX mrr_movements_account_date ON mrr_movements (account_id, effective_date);
