/** User-facing messages of the model registry and of rebuilding models from recorded configs (tests assert against these functions). */

export const ModelErrorCode = {
  /** A recorded model config names a kind no registered model builds. */
  UNKNOWN_KIND: "MODEL_UNKNOWN_KIND",
} as const;

export const modelMessages = {
  unknownKind(kind: string, known: readonly string[]): string {
    return (
      `No model of kind "${kind}" is registered (known: ${known.length > 0 ? known.join(", ") : "none"}). ` +
      `Add its ModelDefinition to src/engine/models/register-all-models.ts, and import that file before rebuilding models from configs.`
    );
  },
  alreadyRegistered(kind: string): string {
    return `A model of kind "${kind}" is already registered.`;
  },
  noKind(kind: unknown): string {
    return `A model config's "kind" must be a non-empty string, got ${JSON.stringify(kind)}.`;
  },
  badField(name: string, expected: string, got: unknown): string {
    return `"${name}" must be ${expected}, got ${JSON.stringify(got)}.`;
  },
};
