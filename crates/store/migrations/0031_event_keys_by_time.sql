-- Message keys by the event's own time first (µs since 1970-01-01 UTC; 0 when the message
-- carried no time of its own), then the 128-bit XXH3 of its messageId: live traffic is "now",
-- so its keys land at the index's right edge instead of on a random page each, and a retry
-- (which carries its original timestamp) finds its key. The keys of usage_message_keys are
-- derived again from the stored blocks, then that table goes (migrate.rs).
CREATE TABLE usage_event_keys (
    at BIGINT NOT NULL,
    high BIGINT NOT NULL,
    low BIGINT NOT NULL,
    PRIMARY KEY (at, high, low)
){{KEYED}};
