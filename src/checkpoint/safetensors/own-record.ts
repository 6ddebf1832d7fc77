/**
 * Records keyed by names read from files. Plain assignment would treat a tensor named
 * "__proto__" as the prototype setter; defining the property keeps it an ordinary entry.
 */
export function setOwn<T>(record: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
}
