/**
 * "Did you mean …?" for a name that is not one of the known ones: the CLI's commands, options and
 * settings, the kernel command's actions. One rule everywhere, so a typo reads the same wherever it is made.
 */

/** Edit distance, for "did you mean": a typo is a letter or two away. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min((previous[j] as number) + 1, (row[j - 1] as number) + 1, (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = row;
  }
  return previous[b.length] as number;
}

export function didYouMean(given: string, known: readonly string[]): string {
  // A letter or two off ("lst", "verfy"), or the start of a name with a garbled ending ("keep-rolls").
  const stem = given.slice(0, Math.max(4, given.length - 2));
  const close = known.filter((k) => distance(given, k) <= 2 || (given.length >= 4 && k.startsWith(stem)));
  return close.length > 0 ? ` Did you mean ${close.map((c) => `'${c}'`).join(" or ")}?` : "";
}
