/**
 * Every user-facing message of the random generator, and its error code. Tests assert against
 * these same functions (docs/CONTRIBUTING.md, "Messages and errors").
 */

export const RandomErrorCode = {
  /** A generator state (from a checkpoint) is malformed or from another algorithm. */
  STATE_INVALID: "RNG_STATE_INVALID",
} as const;

function show(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === "number" || typeof value === "boolean" || value === null || value === undefined) return String(value);
  if (typeof value === "bigint") return `${value}n`;
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  return typeof value;
}

export const randomMessages = {
  badSeed(seed: unknown): string {
    return `createGenerator: seed must be a safe integer or a string, got ${show(seed)}.`;
  },
  badForkLabel(label: unknown): string {
    return `Generator.fork: label must be a string, got ${show(label)}.`;
  },
  badIntBound(maxExclusive: unknown): string {
    return `Generator.int: maxExclusive must be an integer in [1, 2^32], got ${show(maxExclusive)}.`;
  },
  badUniformRange(lo: number, hi: number): string {
    return `Generator.fillUniform: need finite lo ≤ hi, got lo=${lo}, hi=${hi}.`;
  },
  badNormalParams(mean: number, std: number): string {
    return `Generator.fillNormal: need a finite mean and a finite std ≥ 0, got mean=${mean}, std=${std}.`;
  },
  badProbability(p: unknown): string {
    return `Generator.fillBernoulli: p must be a number in [0, 1], got ${show(p)}.`;
  },
  badFillTarget(method: string, out: unknown): string {
    return `Generator.${method}: expected a Float32Array to fill, got ${show(out)}.`;
  },
  /** `field` names the part of the state that is wrong, `got` shows what was there. */
  invalidState(field: string, expected: string, got: unknown): string {
    return (
      `Random generator state is invalid: ${field} must be ${expected}, got ${show(got)}. ` +
      "This state comes from a checkpoint (state.json); the file is damaged or was written by an " +
      "incompatible version. Resume from another checkpoint, or start a fresh run."
    );
  },
};
