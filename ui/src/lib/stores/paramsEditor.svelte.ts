import type { ConversationMeta, ErrorPayload, RequestParams } from "../bindings";
import { normalizeError } from "../errors";
import {
  checkForm,
  emptyParams,
  formFromParams,
  sameParams,
  type FormCheck,
  type ParamContext,
  type ParamsForm,
} from "../params";

export type ParamsEditorDeps = {
  /** How the form is checked now (the current model's limits, the settings' max tokens). */
  context: () => ParamContext;
  /** Stores an existing conversation's parameters (`updateConversationParams`). */
  save: (conversationId: string, params: RequestParams) => Promise<ConversationMeta>;
  onSaved: (meta: ConversationMeta) => void;
  onError: (error: ErrorPayload) => void;
  /** How long edits rest before they are stored. */
  delayMs?: number;
};

/**
 * The parameters panel's form for the open view. A new conversation's parameters live only
 * here until the first send carries them; an existing conversation's are stored ~400 ms after
 * the last edit (and at once before anything is sent or another view opens), and only when
 * they are valid and differ from what is stored.
 */
export class ParamsEditor {
  readonly #deps: ParamsEditorDeps;
  form = $state<ParamsForm>(formFromParams(emptyParams()));
  /** The user changed the form since it was loaded. */
  edited = $state(false);
  /** The form's parameters (null while invalid) and every issue, as typed. */
  check: FormCheck = $derived(checkForm(this.form, this.#context()));

  #conversationId: string | null = null;
  /** What the conversation has stored (or is being stored). */
  #stored: RequestParams = emptyParams();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #saving: Promise<void> = Promise.resolve();

  constructor(deps: ParamsEditorDeps) {
    this.#deps = deps;
  }

  #context(): ParamContext {
    return this.#deps.context();
  }

  /** Shows `params`: those of `conversationId`, or of a new conversation (null). */
  load(conversationId: string | null, params: RequestParams): void {
    void this.flush();
    this.#conversationId = conversationId;
    this.#stored = params;
    this.form = formFromParams(params);
    this.edited = false;
  }

  /** The draft was sent with `params` and is now `conversationId`: later edits go there. */
  adopt(conversationId: string, params: RequestParams): void {
    this.#conversationId = conversationId;
    this.#stored = params;
  }

  edit(patch: Partial<ParamsForm>): void {
    this.form = { ...this.form, ...patch };
    this.edited = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#conversationId !== null) {
      this.#timer = setTimeout(() => void this.flush(), this.#deps.delayMs ?? 400);
    }
  }

  /** Replaces the whole form (a preset chosen), stored like an edit. */
  replace(params: RequestParams): void {
    this.edit(formFromParams(params));
  }

  /** Stores a pending edit now; resolves when every save so far has settled. */
  flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const id = this.#conversationId;
    const params = this.check.params;
    if (id === null || params === null || sameParams(params, this.#stored)) return this.#saving;
    const previous = this.#stored;
    this.#stored = params;
    this.#saving = this.#saving
      .then(() => this.#deps.save(id, params))
      .then(
        (meta) => this.#deps.onSaved(meta),
        (e: unknown) => {
          // Not stored: the next edit or flush tries again.
          if (this.#stored === params) this.#stored = previous;
          this.#deps.onError(normalizeError(e));
        },
      );
    return this.#saving;
  }
}
