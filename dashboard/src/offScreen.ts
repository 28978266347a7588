/**
 * Whether the browser skips an element's contents (`content-visibility: auto`, scrolled out of view).
 * A panel skips its canvas work meanwhile; `shown` runs when it comes back into view, to catch up.
 */
export function whileOffScreen(root: HTMLElement, shown?: () => void): () => boolean {
  let skipped = false;
  root.addEventListener("contentvisibilityautostatechange", (e) => {
    skipped = (e as ContentVisibilityAutoStateChangeEvent).skipped;
    if (!skipped) shown?.();
  });
  return () => skipped;
}
