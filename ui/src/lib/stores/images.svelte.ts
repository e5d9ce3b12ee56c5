import { untrack } from "svelte";
import * as backend from "../backend";
import { normalizeError } from "../errors";
import type { ErrorPayload, ImageDraft } from "../bindings";

export type Thumbnail =
  | { status: "loading" }
  | { status: "ready"; url: string; mediaType: string | null }
  | { status: "error"; error: ErrorPayload };

/** Thumbnails kept at most (each is a small data: URL, long edge <= 256 px). */
const MAX_THUMBNAILS = 300;

/** Thumbnails of stored images, per SHA-256, loaded once with `read_image(sha, "thumbnail")`. */
class ImageStore {
  thumbnails = $state<Record<string, Thumbnail>>({});
  /** Least recently added first, for eviction. */
  #order: string[] = [];

  #put(sha256: string, thumbnail: Thumbnail): void {
    if (!(sha256 in this.thumbnails)) {
      this.#order.push(sha256);
      while (this.#order.length > MAX_THUMBNAILS) {
        const oldest = this.#order.shift()!;
        delete this.thumbnails[oldest];
      }
    }
    this.thumbnails[sha256] = thumbnail;
  }

  /** Starts loading a thumbnail unless it is known (call from an effect; failures are kept). */
  load(sha256: string): void {
    untrack(() => {
      if (sha256 in this.thumbnails) return;
      this.#put(sha256, { status: "loading" });
      backend.readImage(sha256, "thumbnail").then(
        (url) => this.#put(sha256, { status: "ready", url, mediaType: null }),
        (e) => this.#put(sha256, { status: "error", error: normalizeError(e) }),
      );
    });
  }

  /** A draft brings its own thumbnail: the transcript needs no round trip after sending it. */
  remember(draft: ImageDraft): void {
    this.#put(draft.sha256, {
      status: "ready",
      url: draft.thumbnail,
      mediaType: draft.mediaType,
    });
  }
}

export const images = new ImageStore();
