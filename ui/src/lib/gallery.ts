import type { GalleryImage } from "./bindings";

import { m } from "../paraglide/messages";
import { formatDateTime } from "./format";

/** The accessible name of a gallery image: where it was sent and when. */
export function imageLabel(image: Pick<GalleryImage, "conversationTitle" | "createdAt">): string {
  const title = image.conversationTitle.trim() || m.untitled();
  return m.gallery_image_label({ title, date: formatDateTime(image.createdAt) });
}

/** A stable key for one occurrence of an image (the same image may be sent twice). */
export function imageKey(image: Pick<GalleryImage, "messageId" | "position">): string {
  return `${image.messageId}:${image.position}`;
}

/**
 * Where a key press moves the focus in a grid of `count` items laid out `columns` to a row,
 * or `null` when the key is not a move. Left/Right step through the items in reading order,
 * Up/Down keep the column (Down from the last full row goes to the last item, so the items
 * below it are reachable), Home/End go to the first and last item. Never leaves 0..count-1.
 */
export function gridMove(
  key: string,
  index: number,
  columns: number,
  count: number,
): number | null {
  if (count <= 0) return null;
  const cols = Math.max(1, Math.floor(columns));
  const last = count - 1;
  let next: number;
  switch (key) {
    case "ArrowLeft":
      next = index - 1;
      break;
    case "ArrowRight":
      next = index + 1;
      break;
    case "ArrowUp":
      next = index - cols;
      break;
    case "ArrowDown":
      // On the last row there is nothing below: stay; on the row above a short last row, land
      // on its last item.
      if (Math.floor(index / cols) === Math.floor(last / cols)) return index;
      next = Math.min(index + cols, last);
      break;
    case "Home":
      next = 0;
      break;
    case "End":
      next = last;
      break;
    default:
      return null;
  }
  if (next < 0) return key === "ArrowUp" ? index : 0;
  return Math.min(next, last);
}
