/** Text zoom levels (percent), as browsers step them: Ctrl+= and Ctrl+- move along these. */
export const ZOOM_LEVELS = [50, 67, 75, 80, 90, 100, 110, 125, 150, 175, 200] as const;
export const DEFAULT_ZOOM = 100;

/** The nearest level to `percent` (a stored value from another version, or garbage). */
export function clampZoom(percent: number): number {
  if (!Number.isFinite(percent)) return DEFAULT_ZOOM;
  return ZOOM_LEVELS.reduce((best, level) =>
    Math.abs(level - percent) < Math.abs(best - percent) ? level : best,
  );
}

/** The level one step in `direction` (+1 bigger, -1 smaller) from `percent`, held at the ends. */
export function stepZoom(percent: number, direction: 1 | -1): number {
  const at = ZOOM_LEVELS.indexOf(clampZoom(percent) as (typeof ZOOM_LEVELS)[number]);
  const next = Math.min(ZOOM_LEVELS.length - 1, Math.max(0, at + direction));
  return ZOOM_LEVELS[next]!;
}
