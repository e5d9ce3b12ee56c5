-- Issue 13 (storage): a message names its conversation by the conversation's `seq` (an integer
-- of a few bytes) instead of its 36-character UUID text, in the row and in the per-conversation
-- index. On the benchmark's history (1,002,000 messages, 198 MB of text) the UUID cost about
-- 68 bytes per message in those two places.
--
-- `conversation_id` is NOT NULL and a foreign key, so it can be neither emptied nor dropped in
-- place, and `conversations` has no integer key that survives a `VACUUM` (its rowid may change).
-- So both tables are rebuilt, the way SQLite's documentation describes ("Making Other Kinds Of
-- Table Schema Changes"): new tables, rows copied, old tables dropped, new ones renamed. That
-- needs foreign keys OFF (with them on, dropping the old `messages` would delete every
-- attachment through its cascade), and `PRAGMA foreign_keys` does nothing inside the
-- transaction sqlx runs a migration in: so the store runs its migrations on a connection that
-- opens with foreign keys off, and checks them all (`PRAGMA foreign_key_check`) afterwards
-- (`migrate` in src/open.rs).
--
-- Kept exactly: every message's `seq` (the search index and the parent / visible-child links
-- name messages by it) and every conversation's and message's id. The column `parent_id`, kept
-- always NULL since 0007 because a foreign key cannot be dropped, goes with its index.
--
-- The store compacts the file after every upgrade (`compact` in src/open.rs).

-- Renaming a table makes SQLite re-read every trigger in the schema, and one on `attachments`
-- names `messages`, which is missing between the DROP and the RENAME below.
DROP TRIGGER attachments_copy_message_time;

CREATE TABLE conversations_rebuilt (
    seq                 INTEGER PRIMARY KEY,
    id                  TEXT NOT NULL UNIQUE,
    title               TEXT NOT NULL,
    title_source        TEXT NOT NULL DEFAULT 'auto' CHECK (title_source IN ('auto', 'user')),
    model               TEXT NOT NULL,
    system_prompt       TEXT,
    params_json         TEXT NOT NULL DEFAULT '{}',
    active_root_id      TEXT,
    pinned              INTEGER NOT NULL DEFAULT 0 CHECK (pinned IN (0, 1)),
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    folder_id           TEXT REFERENCES folders (id) ON DELETE SET NULL,
    deleted_at          INTEGER,
    title_input_tokens  INTEGER,
    title_output_tokens INTEGER
);

INSERT INTO conversations_rebuilt
    (id, title, title_source, model, system_prompt, params_json, active_root_id, pinned,
     created_at, updated_at, folder_id, deleted_at, title_input_tokens, title_output_tokens)
SELECT id, title, title_source, model, system_prompt, params_json, active_root_id, pinned,
       created_at, updated_at, folder_id, deleted_at, title_input_tokens, title_output_tokens
FROM conversations
ORDER BY rowid;

CREATE TABLE messages_rebuilt (
    seq                         INTEGER PRIMARY KEY,
    id                          TEXT NOT NULL UNIQUE,
    conversation_seq            INTEGER NOT NULL
                                REFERENCES conversations (seq) ON DELETE CASCADE,
    parent_seq                  INTEGER,
    active_child_seq            INTEGER,
    role                        TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
    content_json                TEXT NOT NULL,
    text                        TEXT NOT NULL DEFAULT '',
    model                       TEXT,
    status                      TEXT NOT NULL
                                CHECK (status IN ('streaming', 'done', 'error', 'cancelled')),
    stop_reason                 TEXT,
    stop_sequence               TEXT,
    input_tokens                INTEGER,
    output_tokens               INTEGER,
    cache_creation_input_tokens INTEGER,
    cache_read_input_tokens     INTEGER,
    error_kind                  TEXT,
    error_message               TEXT,
    request_id                  TEXT,
    prefill                     TEXT,
    created_at                  INTEGER NOT NULL,
    updated_at                  INTEGER NOT NULL
);

-- In `seq` order, so the new table is written front to back.
INSERT INTO messages_rebuilt
    (seq, id, conversation_seq, parent_seq, active_child_seq, role, content_json, text, model,
     status, stop_reason, stop_sequence, input_tokens, output_tokens,
     cache_creation_input_tokens, cache_read_input_tokens, error_kind, error_message,
     request_id, prefill, created_at, updated_at)
SELECT m.seq, m.id, c.seq, m.parent_seq, m.active_child_seq, m.role, m.content_json, m.text,
       m.model, m.status, m.stop_reason, m.stop_sequence, m.input_tokens, m.output_tokens,
       m.cache_creation_input_tokens, m.cache_read_input_tokens, m.error_kind, m.error_message,
       m.request_id, m.prefill, m.created_at, m.updated_at
FROM messages AS m
JOIN conversations_rebuilt AS c ON c.id = m.conversation_id
ORDER BY m.seq;

-- With foreign keys off these only remove the tables (their indexes and triggers with them).
DROP TABLE messages;
DROP TABLE conversations;
ALTER TABLE conversations_rebuilt RENAME TO conversations;
ALTER TABLE messages_rebuilt RENAME TO messages;

CREATE INDEX conversations_updated_at ON conversations (updated_at DESC, id DESC);
CREATE INDEX conversations_live_order
    ON conversations (pinned DESC, updated_at DESC, id DESC)
    WHERE deleted_at IS NULL;
CREATE INDEX conversations_trashed ON conversations (deleted_at)
    WHERE deleted_at IS NOT NULL;
CREATE INDEX conversations_folder ON conversations (folder_id);

-- Ties in `created_at` are ordered by `id` after this index's order, as since 0007.
CREATE INDEX messages_conversation ON messages (conversation_seq, created_at);
CREATE INDEX messages_streaming ON messages (status) WHERE status = 'streaming';
CREATE INDEX messages_replies_by_time ON messages (created_at) WHERE role = 'assistant';

-- The search index (`messages_fts`, external content over `messages` by `seq`) holds the same
-- rows as before; its triggers went with the old table.
CREATE TRIGGER messages_fts_after_insert AFTER INSERT ON messages
WHEN new.status <> 'streaming' BEGIN
    INSERT INTO messages_fts (rowid, text) VALUES (new.seq, new.text);
END;

CREATE TRIGGER messages_fts_after_delete AFTER DELETE ON messages
WHEN old.status <> 'streaming' BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.seq, old.text);
END;

CREATE TRIGGER messages_fts_after_update AFTER UPDATE OF text, status ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, text)
        SELECT 'delete', old.seq, old.text WHERE old.status <> 'streaming';
    INSERT INTO messages_fts (rowid, text)
        SELECT new.seq, new.text WHERE new.status <> 'streaming';
END;

CREATE TRIGGER messages_time_to_attachments AFTER UPDATE OF created_at ON messages BEGIN
    UPDATE attachments SET message_created_at = new.created_at WHERE message_id = new.id;
END;

CREATE TRIGGER attachments_copy_message_time AFTER INSERT ON attachments BEGIN
    UPDATE attachments
    SET message_created_at = (SELECT m.created_at FROM messages m WHERE m.id = new.message_id)
    WHERE id = new.id;
END;
