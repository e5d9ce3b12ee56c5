import { m } from "../../paraglide/messages";
import * as backend from "../backend";
import type { ErrorPayload } from "../bindings";
import { resultsAnnouncement } from "../announce";
import { normalizeError } from "../errors";
import { announcer } from "./announcer.svelte";
import type { SearchHit } from "../bindings";

export const SEARCH_DEBOUNCE_MS = 120;
export const SEARCH_LIMIT = 50;

/** History search as you type: debounced, and answers to older queries are dropped. */
class SearchStore {
  query = $state("");
  results = $state<SearchHit[]>([]);
  /** The query the results answer (what "no results for …" names). */
  answered = $state("");
  loading = $state(false);
  error = $state<ErrorPayload | null>(null);
  active: boolean = $derived(this.query.trim() !== "");

  #timer: ReturnType<typeof setTimeout> | undefined;
  #seq = 0;

  set(query: string): void {
    this.query = query;
    clearTimeout(this.#timer);
    const seq = ++this.#seq;
    if (!query.trim()) {
      this.results = [];
      this.answered = "";
      this.loading = false;
      this.error = null;
      return;
    }
    this.loading = true;
    this.#timer = setTimeout(() => void this.#run(query, seq), SEARCH_DEBOUNCE_MS);
  }

  async #run(query: string, seq: number): Promise<void> {
    try {
      const hits = await backend.searchHistory(query, SEARCH_LIMIT);
      if (seq !== this.#seq) return;
      this.results = hits;
      this.error = null;
      announcer.say(resultsAnnouncement(hits.length, hits.length >= SEARCH_LIMIT));
    } catch (e) {
      if (seq !== this.#seq) return;
      this.results = [];
      this.error = normalizeError(e);
      announcer.alert(m.app_search_failed({ message: this.error.message }));
    }
    this.answered = query;
    this.loading = false;
  }

  clear(): void {
    this.set("");
  }
}

export const search = new SearchStore();
