/**
 * Puts sanitised HTML that changes often (the tail of a streaming reply) into an element by
 * changing only what differs from what is there, instead of replacing every node the way
 * `{@html}` does.
 *
 * A long paragraph that grows on every frame would otherwise be parsed into new nodes, laid out
 * and painted from scratch each time, and its old nodes left to the garbage collector; here it
 * stays one text node that is appended to. The HTML must already be sanitised: nodes are taken
 * from it as they are.
 */

function sameElement(a: Element, b: Element): boolean {
  if (a.tagName !== b.tagName || a.attributes.length !== b.attributes.length) return false;
  for (const attribute of b.attributes) {
    if (a.getAttribute(attribute.name) !== attribute.value) return false;
  }
  return true;
}

/** Makes the children of `target` equal to those of `source` (whose nodes it may take). */
export function morphChildren(target: Node, source: Node): void {
  let current = target.firstChild;
  let wanted = source.firstChild;
  while (wanted) {
    const nextWanted: ChildNode | null = wanted.nextSibling;
    if (!current) {
      target.appendChild(wanted);
      wanted = nextWanted;
      continue;
    }
    const nextCurrent: ChildNode | null = current.nextSibling;
    if (current instanceof Element && wanted instanceof Element) {
      if (sameElement(current, wanted)) morphChildren(current, wanted);
      else target.replaceChild(wanted, current);
    } else if (current.nodeType === wanted.nodeType && !(current instanceof Element)) {
      const have = current.nodeValue ?? "";
      const want = wanted.nodeValue ?? "";
      if (have !== want) {
        if (current instanceof CharacterData && want.startsWith(have)) {
          current.appendData(want.slice(have.length));
        } else {
          current.nodeValue = want;
        }
      }
    } else {
      target.replaceChild(wanted, current);
    }
    current = nextCurrent;
    wanted = nextWanted;
  }
  while (current) {
    const next: ChildNode | null = current.nextSibling;
    target.removeChild(current);
    current = next;
  }
}

/** Sets `element`'s content to `html` (sanitised), changing only the nodes that differ. */
export function setHtml(element: Element, html: string): void {
  const template = document.createElement("template");
  template.innerHTML = html;
  morphChildren(element, template.content);
}

/** Svelte action: `<div use:liveHtml={html}>`, updated in place when `html` changes. */
export function liveHtml(element: Element, html: string): { update: (next: string) => void } {
  setHtml(element, html);
  return { update: (next) => setHtml(element, next) };
}
