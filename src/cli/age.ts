/** How long ago something happened, as people say it: "just now", "42 s ago", "3 min ago", "5 h ago", "4 days ago". */
export function formatAge(thenIso: string | undefined, now: number): string {
  if (thenIso === undefined) return "?";
  const then = Date.parse(thenIso);
  if (Number.isNaN(then)) return "?";
  const seconds = Math.floor((now - then) / 1000);
  // A few seconds ahead is clock granularity; more is a skewed clock and should be visible.
  if (seconds < -5) return "in the future";
  if (seconds < 10) return "just now";
  if (seconds < 60) return `${seconds} s ago`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.floor(hours / 24)} days ago`;
}

/** Seconds since an ISO time (for --json), or null when unknown. */
export function ageSeconds(thenIso: string | undefined, now: number): number | null {
  if (thenIso === undefined) return null;
  const then = Date.parse(thenIso);
  return Number.isNaN(then) ? null : Math.round((now - then) / 1000);
}
