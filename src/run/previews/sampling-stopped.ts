/** Thrown by a preview's compute() when it was asked to stop between two of its steps (the run closed its previews). */
export class SamplingStopped extends Error {
  override readonly name = "SamplingStopped";
}
