/** One announcement: its text and a serial, so the same words said twice are said again. */
export type Announcement = { text: string; n: number };

/**
 * What the two live regions (`components/LiveAnnouncer.svelte`) say. Everything a screen reader
 * should hear without moving focus goes through here, once: a finished reply, a search count, a
 * toast (polite); an error or a retry (assertive). Nothing streams through it token by token.
 */
class AnnouncerStore {
  polite = $state<Announcement>({ text: "", n: 0 });
  assertive = $state<Announcement>({ text: "", n: 0 });

  /** Said when the user is idle; does not interrupt. */
  say(text: string): void {
    if (!text.trim()) return;
    this.polite = { text, n: this.polite.n + 1 };
  }

  /** Said at once, interrupting: errors and retries. */
  alert(text: string): void {
    if (!text.trim()) return;
    this.assertive = { text, n: this.assertive.n + 1 };
  }
}

export const announcer = new AnnouncerStore();
