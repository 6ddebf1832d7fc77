/**
 * One value per process, shared by every copy of this module: a kernel can load nbresume twice
 * (dist/ through `import "nbresume"` and src/ through tsx, or two installed versions), and the
 * run registry and the signal hub must still be single.
 */
export function processWide<T>(name: string, create: () => T): T {
  const key = Symbol.for(`nbresume.${name}`);
  const store = globalThis as unknown as Record<symbol, T | undefined>;
  const existing = store[key];
  if (existing !== undefined) return existing;
  const value = create();
  store[key] = value;
  return value;
}
