import { m } from "../../paraglide/messages";
import * as backend from "../backend";
import type { ErrorPayload } from "../bindings";
import { normalizeError } from "../errors";
import { formatCount } from "../format";
import { emptySelection, pruneSelection, type Selection } from "../history";
import type { ConversationSummary, Folder } from "../bindings";
import { toasts } from "./toasts.svelte";
import { ui } from "./ui.svelte";

/** How long a delete can be undone before the trash is purged. */
export const UNDO_MS = 6_000;

/**
 * The history sidebar: every conversation summary and folder (`list_history`), which one is
 * open, the multi-selection, collapsed folders, and the organizing actions (rename, pin, folders,
 * trash with undo).
 */
class ConversationsStore {
  /**
   * Raw state: replaced, never mutated. Deep reactivity would wrap each of tens of thousands of
   * summaries in a proxy on every load, which was a large part of the sidebar's first render.
   */
  items = $state.raw<readonly ConversationSummary[]>([]);
  folders = $state<Folder[]>([]);
  activeId = $state<string | null>(null);
  loading = $state(false);
  loaded = $state(false);
  error = $state<ErrorPayload | null>(null);
  selection = $state<Selection>(emptySelection);
  collapsed = $state<ReadonlySet<string>>(new Set());
  /** The row whose title is being edited inline. */
  renamingId = $state<string | null>(null);
  /** Called when the open conversation is trashed (the chat store shows a new draft). */
  onActiveTrashed: () => void = () => {};

  /** Ids hidden by a delete whose undo toast is still showing. */
  #hidden = new Set<string>();
  #pendingUndo = 0;
  /** An undo expired while another was showing: purge when the last one goes. */
  #purgeDue = false;
  #refreshSeq = 0;
  /** The latest `refreshOne` per conversation: an older answer never overwrites a newer one. */
  #rowSeq = new Map<string, number>();

  #first: Promise<void> | null = null;

  /**
   * The list's first read, started once: main.ts asks before the app is built, so Rust reads
   * the list while the page builds and lays itself out (about 200 ms on this machine).
   */
  loadFirst(): Promise<void> {
    return (this.#first ??= this.refresh());
  }

  async refresh(): Promise<void> {
    const seq = ++this.#refreshSeq;
    this.loading = true;
    // For the start-up benchmark (bench/lib/page.mjs): the list's share of a launch.
    if (seq === 1) performance.mark("parley:start:list-asked");
    try {
      const index = await backend.listHistory();
      if (seq === 1) performance.mark("parley:start:list-answered");
      if (seq !== this.#refreshSeq) return;
      this.items = index.conversations.filter((c) => !this.#hidden.has(c.id));
      this.folders = index.folders;
      this.selection = pruneSelection(this.selection, new Set(this.items.map((c) => c.id)));
      this.error = null;
    } catch (e) {
      if (seq === this.#refreshSeq) this.error = e as ErrorPayload;
    } finally {
      if (seq === this.#refreshSeq) {
        this.loading = false;
        this.loaded = true;
      }
    }
  }

  /**
   * Reads one conversation's row again and puts it in the list (new conversations at their
   * place by recency, which `buildItems` sorts by): what a send, a finished reply or a new title
   * changes, without listing every conversation again. A conversation whose delete can still be
   * undone stays hidden; one that is gone (purged) is ignored.
   */
  async refreshOne(id: string): Promise<void> {
    const seq = (this.#rowSeq.get(id) ?? 0) + 1;
    this.#rowSeq.set(id, seq);
    let summary: ConversationSummary;
    try {
      summary = await backend.conversationSummary(id);
    } catch {
      return;
    }
    if (this.#rowSeq.get(id) !== seq || this.#hidden.has(id)) return;
    if (this.items.some((c) => c.id === id)) this.#replace(summary);
    else this.items = [summary, ...this.items];
  }

  /** Updates one summary (title/model changes) without a round trip. */
  patch(id: string, change: Partial<ConversationSummary>): void {
    this.#update((c) => (c.id === id ? { ...c, ...change } : c));
  }

  #replace(summary: ConversationSummary): void {
    this.#update((c) => (c.id === summary.id ? summary : c));
  }

  /** A new list with `change` applied to each summary; unchanged when no summary changed. */
  #update(change: (c: ConversationSummary) => ConversationSummary): void {
    let changed = false;
    const next = this.items.map((c) => {
      const updated = change(c);
      if (updated !== c) changed = true;
      return updated;
    });
    if (changed) this.items = next;
  }

  #fail(context: string, e: unknown): void {
    const error = normalizeError(e);
    toasts.error(context, error.message);
  }

  async rename(id: string, title: string): Promise<void> {
    const trimmed = title.trim();
    const item = this.items.find((c) => c.id === id);
    if (!item || !trimmed || trimmed === item.title) return;
    const before = item.title;
    this.patch(id, { title: trimmed, titleSource: "user" });
    try {
      this.#replace(await backend.renameConversation(id, trimmed));
    } catch (e) {
      this.patch(id, { title: before });
      this.#fail(m.app_err_rename(), e);
    }
  }

  async setPinned(id: string, pinned: boolean): Promise<void> {
    this.patch(id, { pinned });
    try {
      this.#replace(await backend.setPinned(id, pinned));
    } catch (e) {
      this.patch(id, { pinned: !pinned });
      this.#fail(pinned ? m.app_err_pin() : m.app_err_unpin(), e);
    }
  }

  async moveToFolder(ids: string[], folderId: string | null): Promise<void> {
    if (ids.length === 0) return;
    const moving = new Set(ids);
    const before = new Map(
      this.items.filter((c) => moving.has(c.id)).map((c) => [c.id, c.folderId] as const),
    );
    this.#update((c) => (moving.has(c.id) ? { ...c, folderId } : c));
    if (folderId !== null) this.setCollapsed(folderId, false);
    try {
      await backend.moveToFolder(ids, folderId);
    } catch (e) {
      this.#update((c) => (before.has(c.id) ? { ...c, folderId: before.get(c.id) ?? null } : c));
      this.#fail(m.app_err_move(), e);
    }
  }

  async createFolder(name: string): Promise<Folder | null> {
    const trimmed = name.trim();
    if (!trimmed) return null;
    try {
      const folder = await backend.createFolder(trimmed);
      this.folders.push(folder);
      return folder;
    } catch (e) {
      this.#fail(m.app_err_create_folder(), e);
      return null;
    }
  }

  async renameFolder(id: string, name: string): Promise<void> {
    const trimmed = name.trim();
    const folder = this.folders.find((f) => f.id === id);
    if (!folder || !trimmed || trimmed === folder.name) return;
    try {
      const renamed = await backend.renameFolder(id, trimmed);
      const at = this.folders.findIndex((f) => f.id === id);
      if (at >= 0) this.folders[at] = renamed;
    } catch (e) {
      this.#fail(m.app_err_rename_folder(), e);
    }
  }

  /** Deletes the folder; its conversations stay, listed by date again. */
  async deleteFolder(id: string): Promise<void> {
    try {
      await backend.deleteFolder(id);
      this.folders = this.folders.filter((f) => f.id !== id);
      this.#update((c) => (c.folderId === id ? { ...c, folderId: null } : c));
    } catch (e) {
      this.#fail(m.app_err_delete_folder(), e);
    }
  }

  setCollapsed(folderId: string, collapsed: boolean): void {
    const rest = [...this.collapsed].filter((id) => id !== folderId);
    this.collapsed = new Set(collapsed ? [...rest, folderId] : rest);
  }

  /**
   * Moves conversations to the trash: the rows go at once, a toast offers Undo for `UNDO_MS`,
   * and the trash is purged when the last pending undo expires.
   */
  async trash(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    const trashing = new Set(ids);
    const removed = this.items.filter((c) => trashing.has(c.id));
    for (const id of ids) this.#hidden.add(id);
    this.items = this.items.filter((c) => !this.#hidden.has(c.id));
    this.selection = pruneSelection(this.selection, new Set(this.items.map((c) => c.id)));
    if (this.activeId !== null && ids.includes(this.activeId)) this.onActiveTrashed();
    try {
      await backend.trashConversations(ids);
    } catch (e) {
      for (const id of ids) this.#hidden.delete(id);
      this.#fail(m.app_err_delete(), e);
      void this.refresh();
      return;
    }
    const title =
      removed.length === 1
        ? m.app_deleted_one({ title: removed[0]!.title || m.untitled() })
        : m.app_deleted_many({ count: ids.length, n: formatCount(ids.length) });
    this.#pendingUndo++;
    let restoring: Promise<void> | null = null;
    toasts.show("info", title, null, {
      durationMs: UNDO_MS,
      action: {
        label: m.app_undo(),
        // The Undo button goes with its toast: focus lands on the restored row.
        run: () => (restoring = this.#restore(ids).then(() => ui.focusRow(ids[0]!))),
      },
      onClose: () => {
        this.#pendingUndo--;
        if (restoring) {
          void restoring.then(() => this.#purgeIfDue());
        } else {
          for (const id of ids) this.#hidden.delete(id);
          this.#purgeDue = true;
          this.#purgeIfDue();
        }
      },
    });
  }

  /** Purges once no undo toast is showing (a purge would take their conversations too). */
  #purgeIfDue(): void {
    if (this.#pendingUndo > 0 || !this.#purgeDue) return;
    this.#purgeDue = false;
    backend.purgeTrash().catch((e) => this.#fail(m.app_err_purge(), e));
  }

  async #restore(ids: string[]): Promise<void> {
    try {
      await backend.restoreConversations(ids);
    } catch (e) {
      this.#fail(m.app_err_restore(), e);
    }
    for (const id of ids) this.#hidden.delete(id);
    await this.refresh();
  }
}

export const conversations = new ConversationsStore();
