-- Request control: prefills, presets, and the spend query. Additive only;
-- 0001..0003 are never edited.

-- The text the user started a reply with ("Start Claude's reply with…"). The
-- reply's stored content begins with it; the column says how much of it was
-- the user's, so the UI can mark it and retry/regenerate can send it again.
ALTER TABLE messages ADD COLUMN prefill TEXT;

-- Named bundles of model + system prompt + parameters (params_json has the
-- same shape as conversations.params_json). At most one is the default.
CREATE TABLE presets (
    id            TEXT PRIMARY KEY NOT NULL,
    name          TEXT NOT NULL,
    model         TEXT NOT NULL,
    system_prompt TEXT,
    params_json   TEXT NOT NULL DEFAULT '{}',
    is_default    INTEGER NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1)),
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

CREATE UNIQUE INDEX presets_one_default ON presets (is_default) WHERE is_default = 1;

-- Spend per model for a period reads replies by time.
CREATE INDEX messages_replies_by_time ON messages (created_at) WHERE role = 'assistant';
