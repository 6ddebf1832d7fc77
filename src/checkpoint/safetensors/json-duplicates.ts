/**
 * Finds a key that appears twice in one JSON object, at any depth. JSON.parse silently keeps
 * the last one, so a header could mean one thing to us and another to a reader that keeps the
 * first; we refuse such headers. Runs only on text JSON.parse already accepted, so it needs no
 * error handling of its own, and it is iterative (an explicit stack), so deep nesting cannot
 * overflow the call stack.
 */
export function findDuplicateKey(text: string): string | undefined {
  // One entry per open container: the keys seen so far for an object, null for an array.
  const stack: (Set<string> | null)[] = [];
  let expectKey = false;
  const length = text.length;
  let i = 0;
  while (i < length) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      let j = i + 1;
      let escaped = false;
      for (;;) {
        const d = text.charCodeAt(j);
        if (d === 0x22) break;
        if (d === 0x5c /* \ */) {
          escaped = true;
          j += 2;
        } else {
          j += 1;
        }
      }
      if (expectKey) {
        const keys = stack[stack.length - 1];
        // Escapes must be decoded: "a" and "\u0061" are the same key.
        const key = escaped ? (JSON.parse(text.slice(i, j + 1)) as string) : text.slice(i + 1, j);
        if (keys !== null && keys !== undefined) {
          if (keys.has(key)) return key;
          keys.add(key);
        }
        expectKey = false;
      }
      i = j + 1;
      continue;
    }
    if (c === 0x7b /* { */) {
      stack.push(new Set());
      expectKey = true;
    } else if (c === 0x5b /* [ */) {
      stack.push(null);
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
      expectKey = false;
    } else if (c === 0x2c /* , */) {
      expectKey = stack[stack.length - 1] instanceof Set;
    }
    i += 1;
  }
  return undefined;
}
