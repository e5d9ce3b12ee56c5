import { m } from "../../paraglide/messages";
import {
  addPending,
  addRefused,
  addUrl,
  composerImages,
  fail,
  fileName,
  isEncoding,
  move,
  remove,
  settle,
  type Attachment,
  type ImageUrl,
} from "../attachments";
import * as backend from "../backend";
import type { DragDrop } from "../backend";
import { normalizeError } from "../errors";
import type { ComposerImage, ImageDraft, ImagePlacement } from "../bindings";
import { images } from "./images.svelte";
import { toasts } from "./toasts.svelte";

/** The chip name of pasted bytes that came without a file name, in the UI language. */
const pasted = () => m.app_pasted_image();

/** The images attached to the message being written, and the drop overlay while files hover. */
class ComposerStore {
  attachments = $state<Attachment[]>([]);
  placement = $state<ImagePlacement>("beforeText");
  /** Files are being dragged over the window. */
  dropActive = $state(false);

  encoding: boolean = $derived(isEncoding(this.attachments));

  #next = 1;
  /** Whether the last native `enter` carried paths (an in-page text drag carries none). */
  #dragHasFiles: boolean | null = null;

  /** Adds a chip and encodes it with `prepare`; the chip is `encoding` until it settles. */
  async #prepare(name: string, prepare: () => Promise<ImageDraft>): Promise<void> {
    const id = this.#next++;
    const added = addPending(this.attachments, id, name);
    this.attachments = added.list;
    if (!added.accepted) return;
    try {
      const draft = await prepare();
      images.remember(draft);
      this.attachments = settle(this.attachments, id, draft);
    } catch (e) {
      this.attachments = fail(this.attachments, id, normalizeError(e));
    }
  }

  /** Encodes files by path, all at once (Rust bounds the parallelism), in the given order. */
  async addPaths(paths: readonly string[]): Promise<void> {
    await Promise.all(
      paths.map((path) => this.#prepare(fileName(path), () => backend.prepareImageFile(path))),
    );
  }

  /** The native open dialog, then each chosen file. */
  async pickFiles(): Promise<void> {
    let paths: string[];
    try {
      paths = await backend.pickImageFiles();
    } catch (e) {
      const error = normalizeError(e);
      toasts.error(m.app_err_file_dialog(), error.message);
      return;
    }
    await this.addPaths(paths);
  }

  /**
   * A pasted file whose bytes the webview holds (Chromium's `clipboardData.files`); the chip
   * appears at once, in paste order, while the bytes are still being read.
   */
  addBytes(name: string, bytes: Uint8Array | Promise<Uint8Array>): Promise<void> {
    const shown = name || pasted();
    return this.#prepare(shown, async () => backend.prepareImageBytes(shown, await bytes));
  }

  /** The image on the OS clipboard (WebKitGTK's paste event carries none); nothing if none. */
  async pasteClipboard(): Promise<void> {
    const id = this.#next++;
    const added = addPending(this.attachments, id, pasted());
    this.attachments = added.list;
    try {
      const draft = await backend.pasteClipboardImage();
      if (!draft) {
        this.attachments = remove(this.attachments, id);
        return;
      }
      if (!added.accepted) return; // the refused chip already says why
      images.remember(draft);
      this.attachments = settle(this.attachments, id, draft);
    } catch (e) {
      const error = normalizeError(e);
      if (added.accepted) this.attachments = fail(this.attachments, id, error);
      else this.attachments = addRefused(remove(this.attachments, id), id, pasted(), error);
    }
  }

  addUrl(image: ImageUrl): void {
    this.attachments = addUrl(this.attachments, this.#next++, image);
  }

  remove(id: number): void {
    this.attachments = remove(this.attachments, id);
  }

  move(id: number, delta: number): void {
    this.attachments = move(this.attachments, id, delta);
  }

  togglePlacement(): void {
    this.placement = this.placement === "beforeText" ? "afterText" : "beforeText";
  }

  /** What a send carries now: the ready images in order, and the chips it consumes. */
  snapshot(): { images: ComposerImage[]; ids: Set<number> } {
    return {
      images: composerImages(this.attachments),
      ids: new Set(this.attachments.filter((a) => a.status !== "encoding").map((a) => a.id)),
    };
  }

  /** After a successful send: drops the chips it carried (and the refusals shown with them). */
  clearSent(ids: Set<number>): void {
    this.attachments = this.attachments.filter((a) => !ids.has(a.id));
  }

  /** Tauri's native drag and drop: the overlay while files hover, then encode what was dropped. */
  onDragDrop(event: DragDrop): void {
    switch (event.type) {
      case "enter":
        this.#dragHasFiles = event.paths.length > 0;
        this.dropActive = this.#dragHasFiles;
        break;
      case "over":
        if (this.#dragHasFiles !== false) this.dropActive = true;
        break;
      case "leave":
        this.dropActive = false;
        this.#dragHasFiles = null;
        break;
      case "drop":
        this.dropActive = false;
        this.#dragHasFiles = null;
        if (event.paths.length > 0) void this.addPaths(event.paths);
        break;
    }
  }
}

export const composer = new ComposerStore();
