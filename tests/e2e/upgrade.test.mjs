// End to end, an upgrade of the history at start-up (issue 13, storage): a history written before
// migration 0006 (its search index kept positions, and until 0007 and 0008 messages named their
// parent, visible child and conversation by UUID text) is opened by this build. The window shows
// the upgrade's progress while the messages are re-indexed, then the app, with everything
// searchable and a backup of the old file beside it.
//
// The old history is made from a real one: the app writes a conversation, then the `sqlite3`
// command puts back the links and indexes of 0001-0005 and the search index of 0001, adds 200,000
// messages (so that the re-index takes a few seconds, long enough to be seen) and forgets that
// 0006-0008 ran.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";

import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";

import {
  lastAssistant,
  launchApp,
  newDataDir,
  saveKeyInSettings,
  sendMessage,
  startMockServer,
} from "./harness.mjs";

const KEY = "sk-ant-e2e-upgrade-0123456789";
const BULK_MESSAGES = 200_000;
let mock;

before(async () => {
  mock = await startMockServer();
});
after(() => mock?.stop());

function step(text) {
  process.stderr.write(`[e2e upgrade] ${text}\n`);
}

/** The schema as migrations 0001-0005 left it, holding `BULK_MESSAGES` more messages. */
const BACK_TO_0005 = `
DROP TRIGGER attachments_copy_message_time;
CREATE TABLE conversations_0005 (
    id TEXT PRIMARY KEY NOT NULL, title TEXT NOT NULL,
    title_source TEXT NOT NULL DEFAULT 'auto' CHECK (title_source IN ('auto', 'user')),
    model TEXT NOT NULL, system_prompt TEXT, params_json TEXT NOT NULL DEFAULT '{}',
    active_root_id TEXT, pinned INTEGER NOT NULL DEFAULT 0 CHECK (pinned IN (0, 1)),
    created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
    folder_id TEXT REFERENCES folders (id) ON DELETE SET NULL, deleted_at INTEGER,
    title_input_tokens INTEGER, title_output_tokens INTEGER);
INSERT INTO conversations_0005
SELECT id, title, title_source, model, system_prompt, params_json, active_root_id, pinned,
       created_at, updated_at, folder_id, deleted_at, title_input_tokens, title_output_tokens
FROM conversations ORDER BY seq;
CREATE TABLE messages_0005 (
    seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE,
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    parent_id TEXT REFERENCES messages (id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('user', 'assistant')), content_json TEXT NOT NULL,
    text TEXT NOT NULL DEFAULT '', model TEXT,
    status TEXT NOT NULL CHECK (status IN ('streaming', 'done', 'error', 'cancelled')),
    stop_reason TEXT, stop_sequence TEXT, input_tokens INTEGER, output_tokens INTEGER,
    cache_creation_input_tokens INTEGER, cache_read_input_tokens INTEGER, error_kind TEXT,
    error_message TEXT, request_id TEXT, active_child_id TEXT, created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL, prefill TEXT);
INSERT INTO messages_0005
SELECT m.seq, m.id, (SELECT c.id FROM conversations AS c WHERE c.seq = m.conversation_seq),
       (SELECT parent.id FROM messages AS parent WHERE parent.seq = m.parent_seq),
       m.role, m.content_json, m.text, m.model, m.status, m.stop_reason, m.stop_sequence,
       m.input_tokens, m.output_tokens, m.cache_creation_input_tokens, m.cache_read_input_tokens,
       m.error_kind, m.error_message, m.request_id,
       (SELECT child.id FROM messages AS child WHERE child.seq = m.active_child_seq),
       m.created_at, m.updated_at, m.prefill
FROM messages AS m ORDER BY m.seq;
DROP TABLE messages;
DROP TABLE conversations;
ALTER TABLE conversations_0005 RENAME TO conversations;
ALTER TABLE messages_0005 RENAME TO messages;
CREATE INDEX conversations_updated_at ON conversations (updated_at DESC, id DESC);
CREATE INDEX conversations_live_order ON conversations (pinned DESC, updated_at DESC, id DESC)
    WHERE deleted_at IS NULL;
CREATE INDEX conversations_trashed ON conversations (deleted_at) WHERE deleted_at IS NOT NULL;
CREATE INDEX conversations_folder ON conversations (folder_id);
CREATE INDEX messages_conversation ON messages (conversation_id, created_at, id);
CREATE INDEX messages_parent ON messages (parent_id);
CREATE INDEX messages_streaming ON messages (status) WHERE status = 'streaming';
CREATE INDEX messages_replies_by_time ON messages (created_at) WHERE role = 'assistant';
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
DROP TABLE messages_fts;
DROP TABLE search_index_backfill;
CREATE VIRTUAL TABLE messages_fts USING fts5 (
    text, content = 'messages', content_rowid = 'seq', tokenize = 'trigram');
INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');
INSERT INTO conversations (id, title, model, created_at, updated_at)
VALUES ('bulk', 'Harbour notes', 'claude-sonnet-4-5', 1, 1);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${BULK_MESSAGES})
INSERT INTO messages (id, conversation_id, role, content_json, text, status, created_at, updated_at)
SELECT 'bulk-' || i, 'bulk', 'user', '', 'note ' || i || ' on the harbour ferries', 'done', i, i
FROM n;
DELETE FROM _sqlx_migrations WHERE version IN (6, 7, 8);
`;

async function searchHits(app, query) {
  const search = await app.find("history-search");
  await search.click();
  await app.execute(
    `const input = document.querySelector('[data-testid="history-search"]');
     input.value = ""; input.dispatchEvent(new Event("input", { bubbles: true }));`,
  );
  await search.type(query);
  return app.waitFor(`search hits for ${query}`, async () => {
    const found = await app.execute(
      `return [...document.querySelectorAll('[data-testid="search-result"]')]
         .map((hit) => ({ conversation: hit.dataset.conversationId,
                          snippet: hit.querySelector('[data-testid="search-snippet"]')?.textContent ?? "" }))`,
    );
    return found.length > 0 ? found : null;
  });
}

test("upgrade: an old history opens on a progress screen, then everything in it is searchable", async (t) => {
  const dataDir = newDataDir();
  const database = join(dataDir, "parley.sqlite3");
  let app = await launchApp({ dataDir, baseUrl: mock.baseUrl });
  t.after(() => app?.quit());

  step("writing a conversation");
  await saveKeyInSettings(app, KEY);
  await sendMessage(app, "Where do quokkas live?");
  await lastAssistant(app, ["done"]);
  await app.quit();

  step("turning the history back into one from before migration 0006");
  execFileSync("sqlite3", [database], { input: BACK_TO_0005 });

  step("opening it with this build");
  app = await launchApp({
    dataDir,
    baseUrl: mock.baseUrl,
    // The progress screen at once, rather than after a second.
    extraEnv: { PARLEY_UPGRADE_WINDOW_AFTER_MS: "0" },
  });
  const seen = new Set();
  await app.waitFor(
    "the upgrade screen, then the app",
    async () => {
      const state = await app.execute(
        `return {
           step: document.querySelector('[data-testid="upgrade-screen"]')?.dataset.step ?? null,
           ready: document.querySelector('[data-testid="app"]')?.dataset.ready === "true",
         }`,
      );
      if (state.step) seen.add(state.step);
      return state.ready;
    },
    120_000,
  );
  assert.ok(seen.has("indexing"), `the screen showed the re-indexing (saw ${[...seen].join(", ")})`);

  step("searching the old messages");
  const quokka = await searchHits(app, "quokka");
  assert.ok(quokka.some((hit) => /quokka/i.test(hit.snippet)), JSON.stringify(quokka));
  const ferries = await searchHits(app, "harbour ferr");
  assert.ok(ferries.every((hit) => hit.conversation === "bulk"), JSON.stringify(ferries.slice(0, 3)));
  await app.quit();
  app = null;

  const backups = readdirSync(dataDir).filter((name) => name.startsWith("parley.sqlite3.backup-"));
  assert.equal(backups.length, 1, `one backup of the old history: ${readdirSync(dataDir).join(", ")}`);
  const left = execFileSync("sqlite3", [database, "SELECT count(*) FROM search_index_backfill"], {
    encoding: "utf8",
  });
  assert.equal(left.trim(), "0", "nothing is left to index");
  // Migration 0007: the reply and its question name each other by seq. 0008: a message names its
  // conversation by the conversation's seq, and the UUID text columns are gone.
  const links = execFileSync(
    "sqlite3",
    [
      database,
      `SELECT (SELECT count(*) FROM messages AS reply JOIN messages AS question
                 ON question.seq = reply.parent_seq AND question.active_child_seq = reply.seq
               WHERE reply.role = 'assistant' AND question.text = 'Where do quokkas live?')
              || ' ' || (SELECT count(*) FROM messages AS m JOIN conversations AS c
                           ON c.seq = m.conversation_seq WHERE c.id = 'bulk')
              || ' ' || (SELECT count(*) FROM pragma_table_info('messages')
                         WHERE name IN ('parent_id', 'conversation_id', 'active_child_id'))`,
    ],
    { encoding: "utf8" },
  );
  assert.equal(
    links.trim(),
    `1 ${BULK_MESSAGES} 0`,
    "the reply stays linked to its question both ways, the old messages to their conversation",
  );
});
