import { beforeEach, describe, expect, it, vi } from "vitest";
import type { ImageDraft } from "../bindings";

const backend = vi.hoisted(() => ({
  pickImageFiles: vi.fn(),
  prepareImageFile: vi.fn(),
  prepareImageBytes: vi.fn(),
  pasteClipboardImage: vi.fn(),
  readImage: vi.fn(),
}));
vi.mock("../backend", () => backend);

const { composer } = await import("./composer.svelte");
const { images } = await import("./images.svelte");

function draft(name: string): ImageDraft {
  return {
    sha256: name
      .padEnd(64, "0")
      .replace(/[^0-9a-f]/g, "f")
      .slice(0, 64),
    mediaType: "image/jpeg",
    width: 100,
    height: 75,
    originalWidth: 100,
    originalHeight: 75,
    byteLen: 10,
    estimatedTokens: 10,
    name,
    thumbnail: `data:image/png;base64,${name}`,
  };
}

/** A promise with its resolve/reject exposed. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((ok, no) => {
    resolve = ok;
    reject = no;
  });
  return { promise, resolve, reject };
}

const statuses = () => composer.attachments.map((a) => `${a.name}:${a.status}`);

beforeEach(() => {
  composer.attachments = [];
  composer.placement = "beforeText";
  composer.dropActive = false;
  for (const fn of Object.values(backend)) fn.mockReset();
});

describe("composer store", () => {
  it("encodes picked files concurrently, keeping the pick order whatever finishes first", async () => {
    const first = deferred<ImageDraft>();
    const second = deferred<ImageDraft>();
    backend.pickImageFiles.mockResolvedValue(["/p/one.jpg", "/p/two.jpg"]);
    backend.prepareImageFile.mockImplementation((path: string) =>
      path.endsWith("one.jpg") ? first.promise : second.promise,
    );
    const picking = composer.pickFiles();
    await vi.waitFor(() => expect(backend.prepareImageFile).toHaveBeenCalledTimes(2));
    expect(statuses()).toEqual(["one.jpg:encoding", "two.jpg:encoding"]);
    expect(composer.encoding).toBe(true);
    second.resolve(draft("two.jpg"));
    await vi.waitFor(() => expect(statuses()).toEqual(["one.jpg:encoding", "two.jpg:ready"]));
    first.reject({ kind: "image_corrupt", message: '"one.jpg" is damaged' });
    await picking;
    expect(statuses()).toEqual(["one.jpg:error", "two.jpg:ready"]);
    expect(composer.attachments[0]!.error).toMatchObject({ kind: "image_corrupt" });
    expect(composer.encoding).toBe(false);
    // The draft's thumbnail is cached for the transcript.
    expect(images.thumbnails[draft("two.jpg").sha256]).toMatchObject({ status: "ready" });
    expect(composer.snapshot().images).toEqual([
      { type: "stored", sha256: draft("two.jpg").sha256 },
    ]);
  });

  it("does not call the backend for images over the cap", async () => {
    backend.prepareImageFile.mockImplementation(async (path: string) => draft(path));
    await composer.addPaths(Array.from({ length: 22 }, (_, i) => `img${i}.png`));
    expect(backend.prepareImageFile).toHaveBeenCalledTimes(20);
    expect(composer.attachments.filter((a) => a.status === "ready")).toHaveLength(20);
    const refused = composer.attachments.filter((a) => a.status === "error");
    expect(refused.map((a) => a.error!.kind)).toEqual(["image_too_many", "image_too_many"]);
  });

  it("a clipboard without an image leaves no chip; one with an image adds it", async () => {
    backend.pasteClipboardImage.mockResolvedValueOnce(null);
    await composer.pasteClipboard();
    expect(composer.attachments).toEqual([]);
    backend.pasteClipboardImage.mockResolvedValueOnce(draft("pasted image"));
    await composer.pasteClipboard();
    expect(statuses()).toEqual(["pasted image:ready"]);
  });

  it("pasted bytes keep their order while they are read", async () => {
    const slow = deferred<Uint8Array>();
    backend.prepareImageBytes.mockImplementation(async (name: string) => draft(name));
    const a = composer.addBytes("a.png", slow.promise);
    const b = composer.addBytes("", new Uint8Array([1, 2, 3]));
    await b;
    slow.resolve(new Uint8Array([9]));
    await a;
    expect(statuses()).toEqual(["a.png:ready", "pasted image:ready"]);
    expect(backend.prepareImageBytes).toHaveBeenCalledWith("a.png", new Uint8Array([9]));
  });

  it("drag and drop: overlay on enter/over with files, hidden on leave and drop", async () => {
    backend.prepareImageFile.mockImplementation(async (path: string) => draft(path));
    composer.onDragDrop({ type: "enter", paths: ["/x/a.png"] });
    expect(composer.dropActive).toBe(true);
    composer.onDragDrop({ type: "over" });
    expect(composer.dropActive).toBe(true);
    composer.onDragDrop({ type: "leave" });
    expect(composer.dropActive).toBe(false);
    // An in-page drag (no paths) shows no overlay.
    composer.onDragDrop({ type: "enter", paths: [] });
    composer.onDragDrop({ type: "over" });
    expect(composer.dropActive).toBe(false);
    composer.onDragDrop({ type: "enter", paths: ["/x/a.png", "/x/b.png"] });
    composer.onDragDrop({ type: "drop", paths: ["/x/a.png", "/x/b.png"] });
    expect(composer.dropActive).toBe(false);
    expect(statuses()).toEqual(["a.png:encoding", "b.png:encoding"]);
    await vi.waitFor(() => expect(statuses()).toEqual(["/x/a.png:ready", "/x/b.png:ready"]));
  });

  it("clearSent drops the sent chips and keeps ones added meanwhile", async () => {
    backend.prepareImageFile.mockImplementation(async (path: string) => draft(path));
    await composer.addPaths(["a.png"]);
    const { ids } = composer.snapshot();
    await composer.addPaths(["b.png"]);
    composer.clearSent(ids);
    expect(statuses()).toEqual(["b.png:ready"]);
    composer.togglePlacement();
    expect(composer.placement).toBe("afterText");
  });
});
