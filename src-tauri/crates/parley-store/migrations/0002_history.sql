-- History: folders, trash, the cost of automatic titles, and indexes for the
-- sidebar. Additive only; 0001 is never edited.

CREATE TABLE folders (
    id         TEXT PRIMARY KEY NOT NULL,
    name       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

-- ALTER TABLE ADD COLUMN allows REFERENCES only with a NULL default, which
-- these have. Deleting a folder moves its conversations out of it.
ALTER TABLE conversations ADD COLUMN folder_id TEXT REFERENCES folders (id) ON DELETE SET NULL;
-- Trash: NULL is a live conversation; otherwise when it was trashed (ms).
-- Trashed rows are hidden from listings and search and purged for good when
-- the undo toast expires or at the next start-up.
ALTER TABLE conversations ADD COLUMN deleted_at INTEGER;
-- What the automatic title cost, so it is counted in usage.
ALTER TABLE conversations ADD COLUMN title_input_tokens INTEGER;
ALTER TABLE conversations ADD COLUMN title_output_tokens INTEGER;

-- The sidebar: live conversations, pinned first, then most recently active.
CREATE INDEX conversations_live_order
    ON conversations (pinned DESC, updated_at DESC, id DESC)
    WHERE deleted_at IS NULL;
-- The purge looks for trashed rows only.
CREATE INDEX conversations_trashed ON conversations (deleted_at)
    WHERE deleted_at IS NOT NULL;
-- ON DELETE SET NULL finds a folder's conversations through this.
CREATE INDEX conversations_folder ON conversations (folder_id);
