/**
 * Records keyed by names read from files (CSV headers, JSON keys, archive entries, tensor names).
 * Plain assignment would treat a column named "__proto__" as the prototype setter; defining the
 * property keeps it an ordinary entry.
 */
export function setOwn<T>(record: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
}

export function hasOwn(record: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(record, key);
}
