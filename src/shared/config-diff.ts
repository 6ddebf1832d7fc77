/**
 * Structural diff of two JSON configs: the "don't resume with different hyperparameters" check.
 * Paths read like code: `optimizer.lr`, `layers[2].width`, `["odd key"]`.
 *
 * Both sides are user JSON: keys are compared as own properties only (a key named `constructor`
 * or `toString` is an ordinary key, never Object.prototype's function), and the walk keeps its own
 * stack, so a config nested deeper than the call stack is diffed, not a RangeError.
 */
export type ConfigPath = string;

/** How a checkpoint's `state.config` differs from a given config (paths like "optimizer.lr", "layers[2]"). */
export interface ConfigDiff {
  same: boolean;
  added: { path: ConfigPath; value: unknown }[];
  removed: { path: ConfigPath; value: unknown }[];
  changed: { path: ConfigPath; old: unknown; new: unknown }[];
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function child(parent: string, key: string): string {
  if (IDENTIFIER.test(key)) return parent === "" ? key : `${parent}.${key}`;
  return `${parent}[${JSON.stringify(key)}]`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

const hasOwn = (record: object, key: string): boolean => Object.prototype.hasOwnProperty.call(record, key);

function same(a: unknown, b: unknown): boolean {
  return Object.is(a, b) || (typeof a === "number" && typeof b === "number" && a === b);
}

type Task = { compare: true; a: unknown; b: unknown; at: string } | { compare: false; list: "added" | "removed"; path: string; value: unknown };

/** What changed from `old` (the checkpoint's config) to `current` (the one about to be used). */
export function diffConfigs(old: unknown, current: unknown): ConfigDiff {
  const diff: ConfigDiff = { same: true, added: [], removed: [], changed: [] };
  // Tasks last in first out; each level's tasks are pushed in reverse, so entries come out in
  // the order a recursive walk gives (keys in order, depth first).
  const stack: Task[] = [{ compare: true, a: old, b: current, at: "" }];
  const pushAll = (tasks: Task[]): void => {
    for (let i = tasks.length - 1; i >= 0; i--) stack.push(tasks[i]!);
  };
  while (stack.length > 0) {
    const task = stack.pop()!;
    if (!task.compare) {
      diff[task.list].push({ path: task.path, value: task.value });
      continue;
    }
    const { a, b, at } = task;
    if (isObject(a) && isObject(b)) {
      const tasks: Task[] = [];
      for (const key of Object.keys(a)) {
        tasks.push(
          hasOwn(b, key)
            ? { compare: true, a: a[key], b: b[key], at: child(at, key) }
            : { compare: false, list: "removed", path: child(at, key), value: a[key] },
        );
      }
      for (const key of Object.keys(b)) if (!hasOwn(a, key)) tasks.push({ compare: false, list: "added", path: child(at, key), value: b[key] });
      pushAll(tasks);
      continue;
    }
    if (Array.isArray(a) && Array.isArray(b)) {
      const n = Math.min(a.length, b.length);
      const tasks: Task[] = [];
      for (let i = 0; i < n; i++) tasks.push({ compare: true, a: a[i], b: b[i], at: `${at}[${i}]` });
      for (let i = n; i < a.length; i++) tasks.push({ compare: false, list: "removed", path: `${at}[${i}]`, value: a[i] });
      for (let i = n; i < b.length; i++) tasks.push({ compare: false, list: "added", path: `${at}[${i}]`, value: b[i] });
      pushAll(tasks);
      continue;
    }
    if (!same(a, b)) diff.changed.push({ path: at === "" ? "(root)" : at, old: a, new: b });
  }
  diff.same = diff.added.length === 0 && diff.removed.length === 0 && diff.changed.length === 0;
  return diff;
}
