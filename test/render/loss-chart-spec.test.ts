import { strict as assert } from "node:assert";
import { emaSeries } from "../../src/shared/ema.js";
import { autoSmoothing, buildLossChartSpec, LOSS_CHART_SERIES as S, type LossPoint } from "../../src/render/loss-chart-spec.js";
import { renderMessages } from "../../src/render/messages.js";

interface Row {
  step: number;
  loss: number;
  series: string;
}
interface Layer {
  data: { values: Row[] };
  mark: { type: string; point?: unknown };
}

function layers(spec: Record<string, unknown>): Layer[] {
  return spec["layer"] as Layer[];
}

function series(spec: Record<string, unknown>, name: string): Row[] {
  const layer = layers(spec).find((l) => l.data.values[0]?.series === name);
  assert.ok(layer !== undefined, `a layer for ${name}`);
  return layer.data.values;
}

const decay = (n: number, from = 2, to = 0.5): LossPoint[] =>
  Array.from({ length: n }, (_, i) => ({ step: (i + 1) * 10, loss: to + (from - to) * Math.exp(-i / (n / 5)) }));

describe("render/loss-chart-spec", () => {
  it("contains the raw train series, its smoothed line and the validation series, with a legend for each", () => {
    const train = decay(50);
    const validation = [
      { step: 100, loss: 1.5 },
      { step: 500, loss: 0.7 },
    ];
    const { spec, smoothing } = buildLossChartSpec({ train, validation });
    assert.equal(spec["$schema"], "https://vega.github.io/schema/vega-lite/v6.json");
    assert.equal(layers(spec).length, 3);
    assert.deepEqual(
      series(spec, S.train.name).map((r) => [r.step, r.loss]),
      train.map((p) => [p.step, p.loss]),
    );
    assert.deepEqual(
      series(spec, S.validation.name).map((r) => [r.step, r.loss]),
      [
        [100, 1.5],
        [500, 0.7],
      ],
    );
    const smoothed = emaSeries(
      train.map((p) => p.loss),
      smoothing,
    );
    assert.deepEqual(
      series(spec, S.smoothed.name).map((r) => r.loss),
      smoothed,
    );
    const color = (spec["encoding"] as { color: { scale: { domain: string[]; range: string[] } } }).color;
    assert.deepEqual(color.scale.domain, [S.train.name, S.smoothed.name, S.validation.name]);
    assert.deepEqual(color.scale.range, [S.train.color, S.smoothed.color, S.validation.color]);
    assert.ok(layers(spec)[2]?.mark.point, "validation is drawn with points");
  });

  it("uses the requested smoothing weight for the EMA line", () => {
    const train = decay(20);
    const { spec, smoothing } = buildLossChartSpec({ train, smoothing: 0.5 });
    assert.equal(smoothing, 0.5);
    assert.deepEqual(
      series(spec, S.smoothed.name).map((r) => r.loss),
      emaSeries(
        train.map((p) => p.loss),
        0.5,
      ),
    );
  });

  it("picks a log y scale when the losses span more than two decades, linear otherwise", () => {
    const y = (spec: Record<string, unknown>): unknown =>
      (layers(spec)[0] as unknown as { encoding: { y: { scale: { type: string } } } }).encoding.y.scale.type;
    const wide = buildLossChartSpec({
      train: [
        { step: 1, loss: 5 },
        { step: 2, loss: 0.04 },
      ],
    });
    assert.equal(wide.yScale, "log");
    assert.equal(y(wide.spec), "log");
    const narrow = buildLossChartSpec({
      train: [
        { step: 1, loss: 5 },
        { step: 2, loss: 0.06 },
      ],
    });
    assert.equal(narrow.yScale, "linear");
    assert.equal(y(narrow.spec), "linear");
    const negative = buildLossChartSpec({
      train: [
        { step: 1, loss: 5 },
        { step: 2, loss: -1 },
        { step: 3, loss: 0.001 },
      ],
    });
    assert.equal(negative.yScale, "linear", "a log scale cannot show losses ≤ 0");
    assert.equal(buildLossChartSpec({ train: decay(5), yScale: "log" }).yScale, "log");
  });

  it("leaves out NaN and infinite losses and says so in the text", () => {
    const train = [
      { step: 1, loss: 1 },
      { step: 2, loss: NaN },
      { step: 3, loss: Infinity },
      { step: 4, loss: 0.5 },
    ];
    const { spec, summary } = buildLossChartSpec({ train });
    assert.deepEqual(
      series(spec, S.train.name).map((r) => r.step),
      [1, 4],
    );
    assert.ok(summary.includes(renderMessages.chartNonFinite("train", 2)), summary);
    assert.ok(JSON.stringify(spec).includes(renderMessages.chartNonFinite("train", 2)), "the note is in the chart's subtitle");
  });

  it("thins a long series to maxPoints but keeps its spikes", () => {
    const train = Array.from({ length: 20_000 }, (_, i) => ({ step: i, loss: i === 12_345 ? 9 : 1 + (i % 7) * 0.01 }));
    const { spec } = buildLossChartSpec({ train, maxPoints: 400 });
    const raw = series(spec, S.train.name);
    assert.ok(raw.length <= 400, `${raw.length} points`);
    assert.ok(
      raw.some((r) => r.step === 12_345 && r.loss === 9),
      "the spike survives",
    );
    const smooth = series(spec, S.smoothed.name);
    assert.ok(smooth.length <= 401);
    assert.equal(smooth[smooth.length - 1]?.step, 19_999, "the smoothed line reaches the last step");
    for (let i = 1; i < raw.length; i++) assert.ok((raw[i]?.step ?? 0) > (raw[i - 1]?.step ?? 0), "in step order");
  });

  it("sorts points given out of step order before smoothing", () => {
    const { spec } = buildLossChartSpec({
      train: [
        { step: 3, loss: 3 },
        { step: 1, loss: 1 },
        { step: 2, loss: 2 },
      ],
      smoothing: 0,
    });
    assert.deepEqual(
      series(spec, S.smoothed.name).map((r) => r.loss),
      [1, 2, 3],
    );
  });

  it("draws a 'no loss recorded yet' chart instead of failing when there is nothing to plot", () => {
    const { spec, summary } = buildLossChartSpec({ train: [] });
    assert.equal(spec["layer"], undefined);
    assert.ok(JSON.stringify(spec).includes(renderMessages.chartEmpty()));
    assert.ok(summary.includes("0 training points"));
  });

  it("gives a single loss value a span around it and marks the lone point", () => {
    const { spec } = buildLossChartSpec({ train: [{ step: 1, loss: 2 }] });
    const layer = layers(spec)[1] as unknown as {
      mark: { point?: unknown };
      encoding: { x: { scale: { domain?: number[] } }; y: { scale: { domain?: number[] } } };
    };
    assert.deepEqual(layer.encoding.y.scale.domain, [1, 3]);
    assert.deepEqual(layer.encoding.x.scale.domain, [0, 2]);
    assert.ok(layer.mark.point, "a point, since one value draws no line");
    const many = layers(buildLossChartSpec({ train: decay(5) }).spec)[1] as unknown as typeof layer;
    assert.equal(many.encoding.y.scale.domain, undefined, "vega picks the domain for real series");
    assert.equal(many.mark.point, undefined);
  });

  it("chooses more smoothing for longer series, within [0.6, 0.98]", () => {
    assert.equal(autoSmoothing(1), 0.6);
    assert.ok(Math.abs(autoSmoothing(3000) - (1 - 1 / 30)) < 1e-12);
    assert.equal(autoSmoothing(1e6), 0.98);
  });

  it("rejects malformed points and sizes with messages naming the problem", () => {
    const bad = { step: Number.NaN, loss: 1 };
    assert.throws(
      () => buildLossChartSpec({ train: [{ step: 1, loss: 1 }, bad] }),
      (e: unknown) => e instanceof TypeError && e.message === renderMessages.chartBadPoint("train", 1, bad),
    );
    assert.throws(() => buildLossChartSpec({ train: [], width: 50 }), RangeError);
    assert.throws(() => buildLossChartSpec({ train: [], smoothing: 1 }), RangeError);
  });
});
