-- Issue 13 (storage): the trigram index keeps which messages hold each trigram, not where in
-- them (`detail = 'none'`), and no per-message token counts (`columnsize = 0`). Positions made
-- the index 2.4 times the text it indexes; without them it is about 0.8 times. Search asks the
-- index with `LIKE` (which a trigram index answers for any substring of 3+ characters, and which
-- needs no positions) and SQLite then checks each candidate against the stored text, so results
-- are exactly what they were. Nothing used the positions but `snippet()`, whose work the store
-- now does from the stored text (src/search.rs).
--
-- The old index is dropped here and the new one starts empty; the rows of this table tell the
-- store which messages it still has to index, which it does in batches right after the
-- migrations, reporting progress and resuming where it stopped if the app is closed meanwhile
-- (`index_pending_messages` in src/open.rs). Nothing writes before that is done.

DROP TABLE messages_fts;

CREATE VIRTUAL TABLE messages_fts USING fts5 (
    text,
    content = 'messages',
    content_rowid = 'seq',
    tokenize = 'trigram',
    detail = 'none',
    columnsize = 0
);

-- The triggers of 0001 name the index by name, so they serve the new one unchanged.

CREATE TABLE search_index_backfill (
    -- The next message (by `messages.seq`) to index, and the last one: messages stored after
    -- the migration are indexed by the triggers.
    next_seq INTEGER NOT NULL,
    last_seq INTEGER NOT NULL
);

INSERT INTO search_index_backfill (next_seq, last_seq)
SELECT min(seq), max(seq) FROM messages HAVING count(*) > 0;
