-- Issue 13 (storage): a message names its parent and its visible child by their `seq` (an
-- integer of a few bytes) instead of their 36-character UUID text, and the per-conversation
-- index no longer repeats each message's UUID. The benchmark's history (1,002,000 messages,
-- 198 MB of text) went from 819 MB to 637 MB, compacted, in the `sqlite3` shell.
--
-- `parent_id` cannot be dropped (SQLite refuses to drop a column that is a foreign key), so it
-- stays, always NULL, which costs a byte per row. Its foreign key stays too, and SQLite looks up
-- the children of every message a cascade deletes through it, so a partial index (empty, as no
-- row has a parent_id) keeps that lookup from scanning the table: deleting a conversation of 50
-- messages from that history took 5 ms with it and 15 s without. `parent_seq` has no foreign key:
-- the store checks a parent exists (and is in the same conversation) before inserting, and
-- messages are only ever deleted with their whole conversation.
--
-- The store compacts the file after every upgrade (`compact` in src/open.rs); here the rows
-- shrink in place, leaving their old size free inside the file.

ALTER TABLE messages ADD COLUMN parent_seq INTEGER;
ALTER TABLE messages ADD COLUMN active_child_seq INTEGER;

UPDATE messages
SET parent_seq = (SELECT parent.seq FROM messages AS parent WHERE parent.id = messages.parent_id),
    active_child_seq = (SELECT child.seq FROM messages AS child
                        WHERE child.id = messages.active_child_id),
    parent_id = NULL
WHERE parent_id IS NOT NULL OR active_child_id IS NOT NULL;

DROP INDEX messages_parent;
CREATE INDEX messages_parent ON messages (parent_id) WHERE parent_id IS NOT NULL;
ALTER TABLE messages DROP COLUMN active_child_id;

-- Ties in `created_at` are ordered by `id` after this index's order, which SQLite sorts per
-- conversation; the index keeps `seq` as its row pointer anyway.
DROP INDEX messages_conversation;
CREATE INDEX messages_conversation ON messages (conversation_id, created_at);
