import assert from "node:assert/strict";
import { diffConfigs } from "../../src/shared/config-diff.js";
import { configRows, judgeConfigDiff, severityOf } from "../../src/run/run-config.js";

describe("run/run-config: judging config changes on resume", function () {
  it("calls model, data, batch size, seed and the optimizer's kind unsafe; other optimizer and schedule settings change training; the rest is harmless", function () {
    const table: [string, string][] = [
      ["model.hidden[0]", "unsafe"],
      ["model.unet.widths[1]", "unsafe"],
      ["data.trainCount", "unsafe"],
      ["batchSize", "unsafe"],
      ["seed", "unsafe"],
      ["optimizer.name", "unsafe"],
      ["optimizer.weightDecay", "changes-training"],
      ["schedule.lr", "changes-training"],
      ["clipGradNorm", "changes-training"],
      ["config.note", "changes-training"],
      ["steps", "harmless"],
      ["evalEvery", "harmless"],
      ["checkpointEvery", "harmless"],
      ["preview.samples", "harmless"],
      ["keep.rolling", "harmless"],
    ];
    for (const [path, severity] of table) assert.equal(severityOf(path), severity, path);
  });

  it("lists every change with its severity, unsafe ones first", function () {
    const diff = diffConfigs({ steps: 10, seed: 1, schedule: { lr: 1 } }, { steps: 20, seed: 2, schedule: { lr: 2 }, evalEvery: 5 });
    assert.deepEqual(
      judgeConfigDiff(diff).map((c) => [c.path, c.severity]),
      [
        ["seed", "unsafe"],
        ["schedule.lr", "changes-training"],
        ["steps", "harmless"],
        ["evalEvery", "harmless"],
      ],
    );
  });

  it("shows a config as one row per setting, arrays inline", function () {
    assert.deepEqual(configRows({ model: { kind: "mlp", hidden: [8, 4] }, steps: 3, clip: null }), [
      ["model.kind", '"mlp"'],
      ["model.hidden", "[8,4]"],
      ["steps", "3"],
      ["clip", "null"],
    ]);
  });
});
