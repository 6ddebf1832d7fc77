/** User-facing messages of the model registry and of rebuilding models from recorded configs (tests assert against these functions). */

export const ModelErrorCode = {
  /** A recorded model config names a kind no registered model builds. */
  UNKNOWN_KIND: "MODEL_UNKNOWN_KIND",
} as const;

export const modelMessages = {
  notPositiveInteger(where: string, what: string, got: unknown): string {
    return `${where}: ${what} must be a positive integer, got ${String(got)}.`;
  },
  oddEmbeddingDim(where: string, got: number): string {
    return `${where}: embeddingDim must be an even integer ≥ 2, got ${got}.`;
  },
  noWidths(where: string): string {
    return `${where}: widths must list at least one level's channels.`;
  },
  widthNotDivisible(where: string, level: number, width: number, groups: number): string {
    return `${where}: widths[${level}] = ${width} is not divisible by groups ${groups}.`;
  },
  imageSizeNotDivisible(where: string, imageSize: number, factor: number): string {
    return `${where}: imageSize ${imageSize} is not divisible by 2^(levels−1) = ${factor}; use fewer levels or another size.`;
  },
  /** `expected` as the shape is written, e.g. "[N, 1, 28, 28]". */
  unetInputShape(path: string, input: string, expected: string, got: readonly number[]): string {
    return `unet '${path}': expected ${input} of shape ${expected}, got [${got.join(", ")}].`;
  },
  badDropout(model: string, got: number): string {
    return `${model}: dropout must be in [0, 1), got ${got}.`;
  },
  noBatchColumn(model: string, column: string, columns: readonly string[]): string {
    return `${model}: the batch has no "${column}" column (it has ${columns.join(", ") || "none"}); the dataset needs columns "images" (float32) and "labels" (class indices).`;
  },
  labelsNotIndices(model: string, dtype: string): string {
    return `${model}: the batch's "labels" column is ${dtype}; class indices must be uint8, int32 or int64.`;
  },
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
