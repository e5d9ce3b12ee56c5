import { describe, expect, it } from "vitest";
import {
  activeCount,
  addPending,
  addRefused,
  addUrl,
  canSend,
  composerImages,
  detectImageUrl,
  fail,
  fileName,
  isEncoding,
  MAX_IMAGES,
  mediaTypeFromPath,
  move,
  pixelSize,
  remove,
  settle,
  type Attachment,
} from "./attachments";
import { imageView } from "./blocks";
import type { ErrorPayload, ImageDraft } from "./bindings";

function draft(name: string, sha: string): ImageDraft {
  return {
    sha256: sha.repeat(64).slice(0, 64),
    mediaType: "image/png",
    width: 800,
    height: 600,
    originalWidth: 1600,
    originalHeight: 1200,
    byteLen: 1000,
    estimatedTokens: 640,
    name,
    thumbnail: "data:image/png;base64,iVBO",
  };
}

const corrupt: ErrorPayload = {
  kind: "image_corrupt",
  message: '"b.jpg" is truncated',
  status: null,
  requestId: null,
};

const url = detectImageUrl("https://example.com/pics/cat.webp")!;

/** a (ready, stored), b (error), c (encoding), d (ready, url) */
function sample(): Attachment[] {
  let list = addPending([], 1, "a.png").list;
  list = addPending(list, 2, "b.jpg").list;
  list = addPending(list, 3, "c.gif").list;
  list = addUrl(list, 4, url);
  list = settle(list, 1, draft("a.png", "a"));
  list = fail(list, 2, corrupt);
  return list;
}

describe("attachment reducer", () => {
  it("adds chips as encoding, in order, then settles or fails them", () => {
    const list = sample();
    expect(list.map((a) => [a.id, a.status])).toEqual([
      [1, "ready"],
      [2, "error"],
      [3, "encoding"],
      [4, "ready"],
    ]);
    expect(list[0]).toMatchObject({ mediaType: "image/png", name: "a.png" });
    expect(list[1]!.error).toEqual(corrupt);
    expect(list[3]).toMatchObject({ mediaType: "image/webp", url: url.url, name: "cat.webp" });
    expect(isEncoding(list)).toBe(true);
    expect(activeCount(list)).toBe(3);
  });

  it("ignores the result of a chip removed while it was encoding", () => {
    const list = remove(sample(), 3);
    expect(settle(list, 3, draft("c.gif", "c"))).toEqual(list);
    expect(fail(list, 3, corrupt)).toEqual(list);
    expect(isEncoding(list)).toBe(false);
  });

  it("takes the backend's name for the image", () => {
    const list = settle(addPending([], 1, "tmp-1234").list, 1, draft("Screenshot.png", "s"));
    expect(list[0]!.name).toBe("Screenshot.png");
  });

  it("moves chips left and right, clamped at the ends", () => {
    const list = sample();
    const ids = (l: Attachment[]) => l.map((a) => a.id);
    expect(ids(move(list, 3, -1))).toEqual([1, 3, 2, 4]);
    expect(ids(move(list, 1, 1))).toEqual([2, 1, 3, 4]);
    expect(ids(move(list, 1, -1))).toEqual([1, 2, 3, 4]);
    expect(ids(move(list, 4, 1))).toEqual([1, 2, 3, 4]);
    expect(ids(move(list, 99, 1))).toEqual([1, 2, 3, 4]);
    expect(ids(move(list, 4, -3))).toEqual([4, 1, 2, 3]);
  });

  it("refuses the 21st image with image_too_many; refused chips do not count", () => {
    let list: Attachment[] = addRefused([], 0, "x.svg", { ...corrupt, kind: "image_unsupported" });
    for (let i = 1; i <= MAX_IMAGES; i++) {
      const added = addPending(list, i, `img${i}.png`);
      expect(added.accepted).toBe(true);
      list = added.list;
    }
    expect(activeCount(list)).toBe(MAX_IMAGES);
    const over = addPending(list, 99, "one-too-many.png");
    expect(over.accepted).toBe(false);
    const refused = over.list.at(-1)!;
    expect(refused.status).toBe("error");
    expect(refused.error!.kind).toBe("image_too_many");
    expect(refused.error!.message).toContain("one-too-many.png");
    expect(refused.error!.message).toContain("20");
    const overUrl = addUrl(list, 100, url).at(-1)!;
    expect(overUrl.error!.kind).toBe("image_too_many");
    // Removing one makes room again.
    expect(addPending(remove(list, 5), 101, "again.png").accepted).toBe(true);
  });
});

describe("sending", () => {
  it("sends ready images in the user's order; refused and encoding chips are not sent", () => {
    let list = sample();
    list = settle(list, 3, draft("c.gif", "c"));
    list = move(list, 4, -3);
    expect(composerImages(list)).toEqual([
      { type: "url", url: "https://example.com/pics/cat.webp" },
      { type: "stored", sha256: "a".repeat(64) },
      { type: "stored", sha256: "c".repeat(64) },
    ]);
    expect(composerImages(sample())).toEqual([
      { type: "stored", sha256: "a".repeat(64) },
      { type: "url", url: "https://example.com/pics/cat.webp" },
    ]);
  });

  it("needs text or a ready image, and no image still encoding", () => {
    expect(canSend("", [])).toBe(false);
    expect(canSend("  \n", [])).toBe(false);
    expect(canSend("hi", [])).toBe(true);
    const encoding = addPending([], 1, "a.png").list;
    expect(canSend("hi", encoding)).toBe(false);
    const ready = settle(encoding, 1, draft("a.png", "a"));
    expect(canSend("", ready)).toBe(true);
    const refused = fail(encoding, 1, corrupt);
    expect(canSend("", refused)).toBe(false);
    expect(canSend("hi", refused)).toBe(true);
  });
});

describe("image URLs", () => {
  it("detects a single https URL to an API image type", () => {
    expect(detectImageUrl(" https://example.com/a/b/photo.JPG \n")).toEqual({
      url: "https://example.com/a/b/photo.JPG",
      mediaType: "image/jpeg",
      host: "example.com",
      file: "photo.JPG",
    });
    expect(detectImageUrl("https://cdn.example.org/x.png?w=200#top")).toMatchObject({
      mediaType: "image/png",
      file: "x.png",
    });
    expect(detectImageUrl("https://example.com/my%20cat.jpeg")?.file).toBe("my cat.jpeg");
    expect(detectImageUrl("https://example.com/anim.gif")?.mediaType).toBe("image/gif");
    expect(detectImageUrl("https://example.com/w.webp")?.mediaType).toBe("image/webp");
  });

  it("leaves everything else to the default paste", () => {
    for (const text of [
      "",
      "http://example.com/a.png",
      "https://example.com/a.png and more",
      "look: https://example.com/a.png",
      "https://example.com/a.png https://example.com/b.png",
      "https://example.com/a.svg",
      "https://example.com/a.heic",
      "https://example.com/png",
      "https://example.com/a.png/",
      "https://user:pw@example.com/a.png",
      "javascript:alert(1)//.png",
      "data:image/png;base64,iVBO",
      "file:///home/ada/a.png",
      "https://",
    ]) {
      expect(detectImageUrl(text), text).toBeNull();
    }
  });

  it("maps extensions and paths", () => {
    expect(mediaTypeFromPath("/x/y.jpeg")).toBe("image/jpeg");
    expect(mediaTypeFromPath("/x/y.bmp")).toBeNull();
    expect(fileName("/home/ada/Pictures/cat.jpg")).toBe("cat.jpg");
    expect(fileName("C:\\Users\\ada\\cat.jpg")).toBe("cat.jpg");
    expect(pixelSize({ width: 1568, height: 1176 })).toBe("1568×1176");
  });
});

describe("transcript image sources", () => {
  it("tells stored, data, remote and unsupported images apart", () => {
    const sha = "ab".repeat(32);
    expect(imageView({ type: "url", url: `parley-attachment:${sha}` })).toEqual({
      kind: "stored",
      sha256: sha,
    });
    expect(imageView({ type: "base64", media_type: "image/png", data: "iVBO" })).toEqual({
      kind: "data",
      url: "data:image/png;base64,iVBO",
      mediaType: "image/png",
    });
    expect(imageView({ type: "url", url: "https://example.com/a/cat.jpg" })).toEqual({
      kind: "remote",
      url: "https://example.com/a/cat.jpg",
      mediaType: "image/jpeg",
      host: "example.com",
      file: "cat.jpg",
    });
    expect(imageView({ type: "url", url: "http://example.com/a.png" }).kind).toBe("unsupported");
    expect(imageView({ type: "url", url: "parley-attachment:../../etc" }).kind).toBe("unsupported");
    expect(imageView({ type: "base64", media_type: "text/html", data: "PGI+" }).kind).toBe(
      "unsupported",
    );
    expect(imageView(null).kind).toBe("unsupported");
  });
});
