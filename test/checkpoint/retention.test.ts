import { strict as assert } from "node:assert";
import fc from "fast-check";
import { type RetentionCandidate, planRetention, resolveRetentionPolicy } from "../../src/checkpoint/retention.js";
import { checkpointDirName } from "../../src/checkpoint/naming.js";
import type { CheckpointKind } from "../../src/checkpoint/store.js";
import { badArgument, retentionReason } from "../../src/checkpoint/messages.js";
import { referenceKeep } from "./retention-reference.js";

const kindArb = fc.constantFrom<CheckpointKind>("rolling", "rolling", "rolling", "emergency", "epoch", "final");
// Few distinct values so ties happen; NaN and missing metrics are never ranked.
const metricArb = fc.oneof(
  fc.integer({ min: 0, max: 6 }).map((n) => n / 4),
  fc.constant(Number.NaN),
  fc.constant(undefined),
);
const policyArb = fc.record({
  rolling: fc.integer({ min: 0, max: 6 }),
  emergency: fc.integer({ min: 0, max: 4 }),
  best: fc.integer({ min: 0, max: 4 }),
  epoch: fc.oneof(
    fc.constant<"all">("all"),
    fc.integer({ min: 1, max: 4 }).map((every) => ({ every })),
  ),
});
const bestArb = fc.option(fc.record({ name: fc.constant("val_loss"), mode: fc.constantFrom<"min" | "max">("min", "max") }), { nil: undefined });

function candidate(i: number, step: number, kind: CheckpointKind, metric: number | undefined, epoch: number): RetentionCandidate {
  const name = checkpointDirName(step, kind);
  return { name, path: `/ckpt/${name}`, kind, step, epoch, created: new Date(1_700_000_000_000 + i * 1000).toISOString(), metric };
}

describe("checkpoint retention planning", () => {
  it("keeps exactly what the policies promise after every save of a long mixed sequence", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ kind: kindArb, metric: metricArb, gap: fc.integer({ min: 1, max: 3 }) }), { minLength: 20, maxLength: 150, size: "max" }),
        policyArb,
        bestArb,
        (saves, policy, best) => {
          const ever: RetentionCandidate[] = [];
          let present: RetentionCandidate[] = [];
          let step = 0;
          let epoch = 0;
          saves.forEach((s, i) => {
            step += s.gap;
            if (s.kind === "epoch") epoch++;
            const c = candidate(i, step, s.kind, s.metric, epoch);
            ever.push(c);
            present.push(c);
            // The store prunes after each commit, with `latest` and the newest verified = the new one.
            const plan = planRetention({ checkpoints: present, policy, bestMetric: best, latest: c.name, newestVerified: c.name });
            const deleted = new Set(plan.delete.map((d) => d.name));
            assert.equal(plan.keep.length + plan.delete.length, present.length, "every checkpoint is either kept or deleted");
            assert.ok(!deleted.has(c.name), "the checkpoint just saved is never deleted");
            present = present.filter((p) => !deleted.has(p.name));
            // Steps only grow, so what is present must equal the policies applied to the whole history.
            const expected = referenceKeep(ever, policy, best, c.name, c.name);
            assert.deepEqual(new Set(present.map((p) => p.name)), expected, `after save ${i + 1} (step ${step}, ${s.kind})`);
          });
        },
      ),
      { numRuns: 300 },
    );
  });

  it("never deletes the newest verified checkpoint, the current best or what latest names, for any set", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ step: fc.integer({ min: 0, max: 40 }), kind: kindArb, metric: metricArb, epoch: fc.integer({ min: 0, max: 9 }) }), {
          maxLength: 60,
          size: "max",
        }),
        policyArb,
        bestArb,
        fc.nat(),
        fc.nat(),
        (raw, policy, best, li, vi) => {
          const byName = new Map<string, RetentionCandidate>();
          raw.forEach((r, i) => {
            const c = candidate(i, r.step, r.kind, r.metric, r.epoch);
            byName.set(c.name, c); // one checkpoint per step+kind, as on disk
          });
          const all = [...byName.values()];
          const latest = all.length > 0 ? all[li % all.length]?.name : undefined;
          const verified = all.length > 0 ? all[vi % all.length]?.name : undefined;
          const plan = planRetention({ checkpoints: all, policy, bestMetric: best, latest, newestVerified: verified });
          const kept = new Set(plan.keep.map((k) => k.name));
          const deleted = new Set(plan.delete.map((k) => k.name));
          assert.equal(kept.size + deleted.size, all.length);
          for (const name of kept) assert.ok(!deleted.has(name));
          assert.deepEqual(kept, referenceKeep(all, policy, best, latest, verified));
          if (latest !== undefined) assert.ok(kept.has(latest), "latest kept");
          if (verified !== undefined) assert.ok(kept.has(verified), "newest verified kept");
          for (const k of plan.keep) assert.ok(k.reasons.length > 0, `${k.name} kept with a reason`);
          for (const d of plan.delete) assert.ok(d.reasons.length > 0, `${d.name} deleted with a reason`);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("keeps emergency saves in their own pool so interrupts never push out rolling checkpoints", () => {
    const policy = resolveRetentionPolicy({ rolling: 2, emergency: 1, best: 0 });
    const cps = [
      candidate(0, 10, "rolling", undefined, 0),
      candidate(1, 20, "rolling", undefined, 0),
      candidate(2, 21, "emergency", undefined, 0),
      candidate(3, 22, "emergency", undefined, 0),
      candidate(4, 23, "emergency", undefined, 0),
    ];
    const plan = planRetention({ checkpoints: cps, policy, bestMetric: undefined, latest: cps[4]?.name, newestVerified: cps[4]?.name });
    assert.deepEqual(plan.keep.map((k) => k.name).sort(), [cps[0]?.name, cps[1]?.name, cps[4]?.name].sort());
    assert.deepEqual(plan.delete.map((k) => k.name).sort(), [cps[2]?.name, cps[3]?.name].sort());
    const dropped = plan.delete.find((d) => d.name === cps[2]?.name);
    assert.deepEqual(dropped?.reasons, [retentionReason.outOfPool("emergency", 3, 1)]);
  });

  it("keeps the runner-up by the best metric when best keeps two, across kinds", () => {
    const policy = resolveRetentionPolicy({ rolling: 1, emergency: 0, best: 2 });
    const cps = [
      candidate(0, 1, "rolling", 0.5, 0),
      candidate(1, 2, "emergency", 0.3, 0),
      candidate(2, 3, "rolling", 0.4, 0),
      candidate(3, 4, "rolling", 0.9, 0),
    ];
    const plan = planRetention({ checkpoints: cps, policy, bestMetric: { name: "val_loss", mode: "min" }, latest: undefined, newestVerified: undefined });
    assert.deepEqual(
      plan.keep.map((k) => k.step),
      [4, 3, 2],
    );
    assert.ok(plan.keep.find((k) => k.step === 2)?.reasons.includes(retentionReason.currentBest("val_loss", 0.3)));
    assert.deepEqual(
      plan.delete.map((k) => k.step),
      [1],
    );
  });

  it("rejects a malformed policy with the field named", () => {
    assert.throws(() => resolveRetentionPolicy({ rolling: -1 }), { name: "RangeError", message: badArgument.keepCount("rolling", -1) });
    assert.throws(() => resolveRetentionPolicy({ epoch: { every: 0 } }), { name: "RangeError", message: badArgument.keepEpoch({ every: 0 }) });
  });
});
