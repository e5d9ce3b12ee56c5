import * as backend from "../backend";
import type { ErrorPayload, GalleryCursor, GalleryImage } from "../bindings";
import { normalizeError } from "../errors";
import { chat } from "./chat.svelte";

/** Images asked for per page: a few screens of thumbnails. */
export const GALLERY_PAGE = 60;

/**
 * The images gallery shown in the main area: pages of every image sent, newest first, loaded as
 * the user scrolls (keyset cursor from Rust). Each opening starts from the newest again, and
 * answers meant for an earlier opening are dropped.
 */
class GalleryStore {
  open = $state(false);
  /** Never mutated in place (replaced per page), so the rows need no deep proxies. */
  images = $state.raw<GalleryImage[]>([]);
  /** Where the next page starts; null once the last page arrived (or before the first). */
  next = $state<GalleryCursor | null>(null);
  /** Whether a page has arrived since opening. */
  loaded = $state(false);
  loading = $state(false);
  error = $state<ErrorPayload | null>(null);
  /** Whether more images may exist beyond the ones loaded. */
  hasMore: boolean = $derived(!this.loaded || this.next !== null);

  /** Bumped on each open and close, so a page requested before it is ignored. */
  #session = 0;
  /** What had focus when the gallery opened: it gets focus back when the user dismisses it. */
  #returnFocus: HTMLElement | null = null;

  show(): void {
    this.#session++;
    this.#returnFocus =
      document.activeElement instanceof HTMLElement ? document.activeElement : null;
    this.open = true;
    this.images = [];
    this.next = null;
    this.loaded = false;
    this.error = null;
    this.loading = false;
    void this.loadMore();
  }

  close(): void {
    if (!this.open) return;
    this.#session++;
    this.open = false;
    this.loading = false;
  }

  /** Closes at the user's request (Escape, the close button) and gives focus back. */
  dismiss(): void {
    this.close();
    if (this.#returnFocus?.isConnected) this.#returnFocus.focus();
    this.#returnFocus = null;
  }

  toggle(): void {
    if (this.open) this.close();
    else this.show();
  }

  /**
   * Loads the next page, unless one is loading or the last one arrived. After a failure only an
   * explicit `retry` tries again (scrolling must not hammer a failing backend).
   */
  async loadMore({ retry = false } = {}): Promise<void> {
    if (!this.open || this.loading || !this.hasMore) return;
    if (this.error && !retry) return;
    const session = this.#session;
    this.loading = true;
    this.error = null;
    try {
      const page = await backend.listGallery(this.next, GALLERY_PAGE);
      if (session !== this.#session) return;
      this.images = [...this.images, ...page.images];
      this.next = page.next;
      this.loaded = true;
    } catch (e) {
      if (session !== this.#session) return;
      this.error = normalizeError(e);
    } finally {
      if (session === this.#session) this.loading = false;
    }
  }

  /** Opens the image's conversation on its message, highlighted like a search hit. */
  async openImage(image: GalleryImage): Promise<void> {
    this.close();
    await chat.openHit(image.messageId, image.conversationId);
  }
}

export const gallery = new GalleryStore();
