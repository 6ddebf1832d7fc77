/**
 * The finite-difference gradient check the tests use: the public one (src/engine/autodiff/gradient-check.ts),
 * re-exported under the names the tests were written against.
 */
export {
  checkGradients,
  GradientCheckError,
  type CheckedInput,
  type GradientCheck,
  type GradientCheckElement,
  type GradientCheckResult,
} from "../../src/engine/autodiff/gradient-check.js";
/** A small deterministic PRNG for test data (mulberry32): the same generator the check draws its inputs from. */
export { checkRandom as testRandom } from "../../src/engine/autodiff/check-random.js";
