import { strict as assert } from "node:assert";
import { adam } from "../../../src/engine/optim/adam.js";
import { adamw } from "../../../src/engine/optim/adamw.js";
import type { Optimizer } from "../../../src/engine/optim/optimizer.js";
import { stateName } from "../../../src/engine/optim/optimizer.js";
import { sgd } from "../../../src/engine/optim/sgd.js";
import { refAdam, refSgd, toRef, type RefEntry } from "./reference-optimizers.js";
import { assertClose, runOptimizer } from "./run-optimizer.js";

// Two entries, one with weight decay and one without, a learning rate that changes every step, and
// six steps: enough for bias correction, momentum and decay masking to matter.
const SIZES = [300, 17];
const DECAY = [true, false];
const STEPS = 6;
const lr = (step: number): number => 0.05 * (1 + 0.3 * Math.sin(step));
// float32 graph vs float64 reference: a few float32 ulps of the values involved.
const RTOL = 2e-6;
const ATOL = 5e-7; // values are O(1): a few float32 ulps (1.2e-7 at 1) after cancellation

async function compare(optimizer: Optimizer, reference: (e: RefEntry, g: Float32Array, lr: number, t: number, decay: boolean) => void): Promise<void> {
  const run = await runOptimizer(optimizer, { sizes: SIZES, decay: DECAY, steps: STEPS, lr });
  const refs = run.initial.map((e) => toRef(e.param, optimizer.slots));
  for (let t = 1; t <= STEPS; t++) {
    refs.forEach((r, i) => reference(r, run.grads[t - 1]![i]!, run.lrs[t - 1]!, t, DECAY[i]!));
    run.history[t - 1]!.forEach((e, i) => {
      assertClose(e.param, refs[i]!.p, RTOL, ATOL, `step ${t} entry ${i} param`);
      for (const s of optimizer.slots) assertClose(e.state[s]!, refs[i]!.state[s]!, RTOL, ATOL, `step ${t} entry ${i} ${s}`);
    });
  }
}

describe("optimizers in the step graph (float32 graph vs float64 TypeScript reference, |diff| ≤ 5e-7 + 2e-6·|ref| over 6 steps)", () => {
  it("plain SGD: p − lr·g", async () => {
    await compare(sgd(), (e, g, rate) => refSgd(e, g, rate, { momentum: 0, nesterov: false, weightDecay: 0, decay: false }));
  });

  it("SGD with momentum and L2 weight decay on decayed entries only", async () => {
    const o = sgd({ momentum: 0.9, weightDecay: 0.1 });
    assert.deepEqual(o.slots, ["momentum"]);
    await compare(o, (e, g, rate, _t, decay) => refSgd(e, g, rate, { momentum: 0.9, nesterov: false, weightDecay: 0.1, decay }));
  });

  it("SGD with Nesterov momentum", async () => {
    await compare(sgd({ momentum: 0.8, nesterov: true }), (e, g, rate) => refSgd(e, g, rate, { momentum: 0.8, nesterov: true, weightDecay: 0, decay: false }));
  });

  it("Adam with bias correction and L2 weight decay added to the gradient", async () => {
    const o = adam({ beta1: 0.8, beta2: 0.95, eps: 1e-6, weightDecay: 0.05 });
    assert.deepEqual(o.slots, ["m", "v"]);
    await compare(o, (e, g, rate, t, decay) => refAdam(e, g, rate, t, { beta1: 0.8, beta2: 0.95, eps: 1e-6, weightDecay: 0.05, decoupled: false, decay }));
  });

  it("AdamW with decoupled weight decay (PyTorch defaults: betas 0.9/0.999, eps 1e-8, decay 0.01)", async () => {
    const o = adamw();
    assert.deepEqual(o.config, { name: "adamw", beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 });
    await compare(o, (e, g, rate, t, decay) => refAdam(e, g, rate, t, { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, decoupled: true, decay }));
  });

  it("AdamW with a large weight decay shrinks decayed entries only", async () => {
    await compare(adamw({ weightDecay: 0.5 }), (e, g, rate, t, decay) =>
      refAdam(e, g, rate, t, { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.5, decoupled: true, decay }),
    );
  });

  it("feeds Adam's bias-corrected step size and epsilon from lr and step", () => {
    const s = adamw({ beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1 }).scalars(0.01, 3);
    const bc1 = 1 - 0.9 ** 3;
    const bc2 = 1 - 0.999 ** 3;
    assert.ok(Math.abs(s["adam_alpha"]! - (0.01 * Math.sqrt(bc2)) / bc1) < 1e-15);
    assert.ok(Math.abs(s["adam_eps"]! - 1e-8 * Math.sqrt(bc2)) < 1e-22);
    assert.equal(s["adam_decay"], 1 - 0.01 * 0.1);
    assert.throws(() => adam().scalars(0.01, 0), /first update is step 1/);
  });

  it("names optimizer state '<slot>.<parameter>'", () => {
    assert.equal(stateName("m", "fc0.weight"), "m.fc0.weight");
  });

  it("rejects bad hyperparameters with RangeErrors naming them", () => {
    assert.throws(
      () => sgd({ momentum: 1 }),
      (e: unknown) => e instanceof RangeError && /momentum must be in \[0, 1\)/.test(e.message),
    );
    assert.throws(() => sgd({ nesterov: true }), /nesterov needs a momentum/);
    assert.throws(() => adam({ beta2: -0.1 }), /beta2 must be in \[0, 1\)/);
    assert.throws(() => adamw({ eps: 0 }), /eps must be > 0/);
    assert.throws(() => adamw({ weightDecay: Number.NaN }), /weightDecay must be a finite number/);
  });
});
