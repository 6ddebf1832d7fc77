/** The engine's randomness: one seeded, serialisable, forkable generator (see generator.ts). */
export type { Generator, GeneratorState, MutableArrayLike, Seed } from "./generator.js";
export { createGenerator, generatorFromState } from "./create-generator.js";
export { RandomErrorCode } from "./messages.js";
