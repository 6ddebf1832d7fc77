/**
 * The standard initialisers. Fan-in is passed explicitly where it matters because our layers choose
 * their own weight layouts (Linear keeps [in, out] so the forward is one MatMul).
 */
import type { Initializer } from "./initializer.js";
import { nnMessages as msg } from "./messages.js";

function make(kind: string, args: Record<string, number>, fill: Initializer["fill"]): Initializer {
  return Object.freeze({ kind, args: Object.freeze({ ...args }), fill });
}

function positive(what: string, v: number): number {
  if (!Number.isFinite(v) || v <= 0) throw new RangeError(msg.notPositive(what, v));
  return v;
}

export const zeros = (): Initializer =>
  make("zeros", {}, (out) => {
    out.fill(0);
  });

export const ones = (): Initializer =>
  make("ones", {}, (out) => {
    out.fill(1);
  });

export function constant(value: number): Initializer {
  if (!Number.isFinite(value)) throw new RangeError(msg.constantNotFinite(value));
  return make("constant", { value }, (out) => {
    out.fill(value);
  });
}

/** N(mean, std²). */
export function normal(std: number, mean = 0): Initializer {
  positive("normal initialiser: std", std);
  return make("normal", { mean, std }, (out, _shape, rng) => {
    rng.fillNormal(out, mean, std);
  });
}

/** U(−bound, bound). */
export function uniform(bound: number): Initializer {
  positive("uniform initialiser: bound", bound);
  return make("uniform", { bound }, (out, _shape, rng) => {
    rng.fillUniform(out, -bound, bound);
  });
}

/**
 * He/Kaiming uniform: U(−b, b) with b = gain·√(3 / fanIn). gain = 1/√3 gives b = 1/√fanIn, which is
 * PyTorch's default for Linear and Conv weights and biases (kaiming_uniform_ with a = √5).
 */
export function kaimingUniform(fanIn: number, gain = Math.SQRT2): Initializer {
  positive("kaimingUniform: fanIn", fanIn);
  positive("kaimingUniform: gain", gain);
  const bound = gain * Math.sqrt(3 / fanIn);
  return make("kaiming-uniform", { fanIn, gain }, (out, _shape, rng) => {
    rng.fillUniform(out, -bound, bound);
  });
}

/** He/Kaiming normal: N(0, gain² / fanIn); gain √2 suits ReLU. */
export function kaimingNormal(fanIn: number, gain = Math.SQRT2): Initializer {
  positive("kaimingNormal: fanIn", fanIn);
  positive("kaimingNormal: gain", gain);
  const std = gain / Math.sqrt(fanIn);
  return make("kaiming-normal", { fanIn, gain }, (out, _shape, rng) => {
    rng.fillNormal(out, 0, std);
  });
}

/** PyTorch's default for Linear/Conv weights and biases: U(−1/√fanIn, 1/√fanIn). */
export function torchDefault(fanIn: number): Initializer {
  positive("torchDefault: fanIn", fanIn);
  const bound = 1 / Math.sqrt(fanIn);
  return make("torch-default", { fanIn }, (out, _shape, rng) => {
    rng.fillUniform(out, -bound, bound);
  });
}

/** Glorot/Xavier uniform: U(−b, b) with b = gain·√(6 / (fanIn + fanOut)). */
export function xavierUniform(fanIn: number, fanOut: number, gain = 1): Initializer {
  positive("xavierUniform: fanIn", fanIn);
  positive("xavierUniform: fanOut", fanOut);
  const bound = gain * Math.sqrt(6 / (fanIn + fanOut));
  return make("xavier-uniform", { fanIn, fanOut, gain }, (out, _shape, rng) => {
    rng.fillUniform(out, -bound, bound);
  });
}
