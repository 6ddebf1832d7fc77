/**
 * Structural diff of two JSON configs: the "don't resume with different hyperparameters" check.
 * Paths read like code: `optimizer.lr`, `layers[2].width`, `["odd key"]`.
 */
import type { ConfigDiff } from "./store.js";

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function child(parent: string, key: string): string {
  if (IDENTIFIER.test(key)) return parent === "" ? key : `${parent}.${key}`;
  return `${parent}[${JSON.stringify(key)}]`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function same(a: unknown, b: unknown): boolean {
  return Object.is(a, b) || (typeof a === "number" && typeof b === "number" && a === b);
}

/** What changed from `old` (the checkpoint's config) to `current` (the one about to be used). */
export function diffConfigs(old: unknown, current: unknown): ConfigDiff {
  const diff: ConfigDiff = { same: true, added: [], removed: [], changed: [] };
  const walk = (a: unknown, b: unknown, at: string): void => {
    if (isObject(a) && isObject(b)) {
      for (const key of Object.keys(a)) {
        if (!(key in b)) diff.removed.push({ path: child(at, key), value: a[key] });
        else walk(a[key], b[key], child(at, key));
      }
      for (const key of Object.keys(b)) if (!(key in a)) diff.added.push({ path: child(at, key), value: b[key] });
      return;
    }
    if (Array.isArray(a) && Array.isArray(b)) {
      const n = Math.min(a.length, b.length);
      for (let i = 0; i < n; i++) walk(a[i], b[i], `${at}[${i}]`);
      for (let i = n; i < a.length; i++) diff.removed.push({ path: `${at}[${i}]`, value: a[i] });
      for (let i = n; i < b.length; i++) diff.added.push({ path: `${at}[${i}]`, value: b[i] });
      return;
    }
    if (!same(a, b)) diff.changed.push({ path: at === "" ? "(root)" : at, old: a, new: b });
  };
  walk(old, current, "");
  diff.same = diff.added.length === 0 && diff.removed.length === 0 && diff.changed.length === 0;
  return diff;
}
