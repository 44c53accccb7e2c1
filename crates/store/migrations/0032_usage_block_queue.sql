-- Blocks stored and acknowledged but not yet applied: placement on accounts and people, the
-- rollups, milestones and scores. An ingestion request is answered once its block, its keys
-- and its row here are committed; a follower applies the blocks in id order and deletes their
-- rows in the same transaction, so a block is applied exactly once, across restarts and
-- across servers sharing one database.
CREATE TABLE usage_block_queue (
    block_id BIGINT NOT NULL PRIMARY KEY REFERENCES usage_event_blocks (id),
    queued_at TIMESTAMPTZ NOT NULL
){{KEYED}};
