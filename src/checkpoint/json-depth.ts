/**
 * How deeply a JSON text nests, found without parsing it. JSON.parse itself copes with any depth,
 * but everything recursive downstream does not: JSON.stringify, the config diff, structured clone.
 * A state.json nested 100,000 levels deep made a resume die of "Maximum call stack size exceeded"
 * instead of falling back to the previous checkpoint, so files are refused past MAX_JSON_DEPTH
 * before they are parsed. The scan is iterative and stops as soon as the limit is passed.
 */

/** Far beyond any config or state a run writes; far below what recursion over it can take. */
export const MAX_JSON_DEPTH = 256;

/**
 * The deepest nesting of arrays and objects in `text` (0 for a scalar), or `limit + 1` as soon as
 * it exceeds `limit`. Brackets inside strings do not count. Meant for text JSON.parse accepts or
 * is about to judge: malformed text gives some number, never an error.
 */
export function jsonDepth(text: string, limit = MAX_JSON_DEPTH): number {
  let depth = 0;
  let deepest = 0;
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      // Skip the string: to the next quote not escaped by an odd run of backslashes.
      for (i++; i < length; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c /* \ */) i++;
        else if (d === 0x22) break;
      }
    } else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > limit) return limit + 1;
      }
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) {
      depth--;
    }
  }
  return deepest;
}
