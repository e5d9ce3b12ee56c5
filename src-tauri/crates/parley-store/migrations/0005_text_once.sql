-- Issue 13 (storage): a message whose content is exactly one text block keeps
-- its text once, in `text` (which the search index reads), and '' in
-- `content_json`; the store reads such rows back as that block
-- (`content_json_column!` in src/messages.rs). New rows are written this way;
-- this converts the rows already stored. SQLite's json_object writes the same
-- compact JSON as serde_json, so a row compares equal exactly when its JSON
-- holds nothing but that text; any other row is left as it is. The FTS
-- triggers watch `text` and `status` only, so the index is not touched.
UPDATE messages
SET content_json = ''
WHERE content_json = json_array(json_object('type', 'text', 'text', text));
