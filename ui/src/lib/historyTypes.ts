/**
 * TEMPORARY: the history types of docs/ipc-contract.md ("History: browse, organize, search"),
 * written by hand until `bindings.ts` is regenerated from Rust with them. Delete this file and
 * import from `./bindings` once it has `Folder`, `HistoryIndex`, `SearchHit`, the extended
 * `ConversationSummary`, `Settings.titleModel` and the `titleUpdated` ChatEvent.
 */
import type { ChatEvent, Settings } from "./bindings";

export type ConversationSummary = {
  id: string;
  title: string;
  model: string;
  /** ms since epoch; the UI groups by updatedAt in local time */
  updatedAt: number;
  createdAt: number;
  pinned: boolean;
  folderId: string | null;
  titleSource: "auto" | "user";
  /** the first image of the conversation, if any (read_image "thumbnail") */
  thumbnailSha256: string | null;
};

export type Folder = { id: string; name: string; createdAt: number };

/** All of them, pinned first, then newest first. */
export type HistoryIndex = { conversations: ConversationSummary[]; folders: Folder[] };

export type SearchHit = {
  messageId: string;
  conversationId: string;
  conversationTitle: string;
  /** the match is between "\u0002" and "\u0003"; "…" where text was cut */
  snippet: string;
  createdAt: number;
};

/** `null`: automatic titles off. */
export type SettingsWithTitle = Settings & { titleModel: string | null };

export type TitleUpdated = { type: "titleUpdated"; conversationId: string; title: string };

export type HistoryChatEvent = ChatEvent | TitleUpdated;
