// End to end, an upgrade of the history at start-up (issue 13, storage): a history written before
// migration 0006 (its search index kept positions, and until 0007 messages named their parent and
// visible child by UUID text) is opened by this build. The window shows the upgrade's progress
// while the messages are re-indexed, then the app, with everything searchable and a backup of the
// old file beside it.
//
// The old history is made from a real one: the app writes a conversation, then the `sqlite3`
// command puts back the links and indexes of 0001-0005 and the search index of 0001, adds 200,000
// messages (so that the re-index takes a few seconds, long enough to be seen) and forgets that 0006
// and 0007 ran.

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
ALTER TABLE messages ADD COLUMN active_child_id TEXT;
UPDATE messages
SET parent_id = (SELECT parent.id FROM messages AS parent WHERE parent.seq = messages.parent_seq),
    active_child_id = (SELECT child.id FROM messages AS child
                       WHERE child.seq = messages.active_child_seq);
DROP INDEX messages_parent;
DROP INDEX messages_conversation;
ALTER TABLE messages DROP COLUMN parent_seq;
ALTER TABLE messages DROP COLUMN active_child_seq;
CREATE INDEX messages_parent ON messages (parent_id);
CREATE INDEX messages_conversation ON messages (conversation_id, created_at, id);
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
DELETE FROM _sqlx_migrations WHERE version IN (6, 7);
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
  // Migration 0007: the reply and its question name each other by seq; the old column is empty.
  const links = execFileSync(
    "sqlite3",
    [
      database,
      `SELECT (SELECT count(*) FROM messages AS reply JOIN messages AS question
                 ON question.seq = reply.parent_seq AND question.active_child_seq = reply.seq
               WHERE reply.role = 'assistant' AND question.text = 'Where do quokkas live?')
              || ' ' || (SELECT count(*) FROM messages WHERE parent_id IS NOT NULL)`,
    ],
    { encoding: "utf8" },
  );
  assert.equal(links.trim(), "1 0", "the reply stays linked to its question, both ways");
});
