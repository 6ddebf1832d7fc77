/**
 * An MLP classifier: Linear → ReLU → ... → Linear, softmax cross-entropy loss, accuracy metric.
 *
 *   const model = mlpClassifier({ inputSize: 784, hidden: [256], classes: 10 });
 *
 * Parameters: fc0.weight [784, 256], fc0.bias, ..., out.weight, out.bias. With `dropout` > 0 each
 * hidden activation is multiplied by a keep mask scaled by 1/(1−p), drawn in feeds() from the run's
 * generator and fed as input `dropout/<i>` (never onnxruntime's RNG), so resume stays exact.
 *
 * Graphs: the training loss (metrics: accuracy) and "predict" (images → logits). Batches are the
 * DataLoader's, with columns `images` (float32 [n, inputSize]) and `labels` ([n] class indices:
 * uint8, int32 or int64; fed as the int64 that SoftmaxCrossEntropyLoss takes).
 */
import { modelMessages as msg } from "./messages.js";
import { NbresumeError } from "../../errors.js";
import { EngineErrorCode } from "../messages.js";
import type { Tensor } from "../../tensor.js";
import type { Batch } from "../data/batch.js";
import { cast, mul, reduceMean, relu } from "../graph/functional.js";
import type { Value } from "../graph/value.js";
import { linear } from "../layers/linear.js";
import type { InputSpecs, Model } from "../nn/model.js";
import type { ParameterScope } from "../nn/parameter-scope.js";
import { numberArrayField, numberField } from "./config-fields.js";
import type { ModelDefinition } from "./model-registry.js";

export interface MlpClassifierConfig {
  readonly inputSize: number;
  readonly hidden: readonly number[];
  readonly classes: number;
  /** Dropout probability after each hidden layer (default 0). */
  readonly dropout?: number;
}

const MLP_CLASSIFIER = "mlp-classifier";

export function mlpClassifier(config: MlpClassifierConfig): Model<Batch> {
  const { inputSize, hidden, classes } = config;
  const dropout = config.dropout ?? 0;
  for (const [what, n] of [["inputSize", inputSize], ["classes", classes], ...hidden.map((h, i) => [`hidden[${i}]`, h] as const)] as const) {
    if (!Number.isSafeInteger(n) || n <= 0) throw new RangeError(msg.notPositiveInteger("mlpClassifier", what, n));
  }
  if (!(dropout >= 0 && dropout < 1)) throw new RangeError(msg.badDropout("mlpClassifier", dropout));
  const maskName = (i: number): string => `dropout/${i}`;

  const forward = (scope: ParameterScope, images: Value, masks: readonly Value[]): Value => {
    let h = images;
    hidden.forEach((width, i) => {
      h = relu(linear(scope.child(`fc${i}`), h, width));
      const mask = masks[i];
      if (mask !== undefined) h = mul(h, mask);
    });
    return linear(scope.child("out"), h, classes);
  };

  const imageInputs = (n: number): InputSpecs => ({ images: { dtype: "float32", shape: [n, inputSize] } });

  return {
    config: { kind: MLP_CLASSIFIER, inputSize, hidden: [...hidden], classes, dropout },
    inputs(n) {
      const specs: Record<string, InputSpecs[string]> = { ...imageInputs(n), labels: { dtype: "int64", shape: [n] } };
      if (dropout > 0)
        hidden.forEach((width, i) => {
          specs[maskName(i)] = { dtype: "float32", shape: [n, width] };
        });
      return specs;
    },
    loss(scope, inputs) {
      const masks = scope.training && dropout > 0 ? hidden.map((_, i) => inputs[maskName(i)]!) : [];
      const logits = forward(scope, inputs["images"]!, masks);
      const labels = inputs["labels"]!;
      const g = logits.graph;
      const loss = g.op("SoftmaxCrossEntropyLoss", [logits, labels], { reduction: "mean" });
      const predicted = g.op("ArgMax", [logits], { axis: 1, keepdims: 0 });
      const accuracy = reduceMean(cast(g.op("Equal", [predicted, labels]), "float32"), [0], false);
      return { loss, metrics: { accuracy } };
    },
    feeds(batch, rng) {
      const n = batch.size;
      const feeds: Record<string, Tensor> = {
        images: { dtype: "float32", shape: [n, inputSize], data: batchColumn(batch, "images").data },
        labels: { dtype: "int64", shape: [n], data: int64Labels(batchColumn(batch, "labels")) },
      };
      if (dropout > 0) {
        const keep = 1 - dropout;
        hidden.forEach((width, i) => {
          // Inverted dropout: keep with probability 1 − p, scale the kept units by 1/(1 − p).
          const mask = rng.fillBernoulli(new Float32Array(n * width), keep);
          for (let k = 0; k < mask.length; k++) mask[k]! *= 1 / keep;
          feeds[maskName(i)] = { dtype: "float32", shape: [n, width], data: mask };
        });
      }
      return feeds;
    },
    graphs: {
      predict: {
        inputs: imageInputs,
        build: (scope, inputs) => ({ logits: forward(scope, inputs["images"]!, []) }),
      },
    },
    // Fixed held-out images with the predicted class under each, wrong ones in red.
    previews: [{ kind: "image-predictions", settings: { graph: "predict", input: "images", output: "logits", imageColumn: "images", labelColumn: "labels" } }],
  };
}

function batchColumn(batch: Batch, name: string): Tensor {
  const column = Object.prototype.hasOwnProperty.call(batch.columns, name) ? batch.columns[name] : undefined;
  if (column === undefined) {
    throw new NbresumeError(EngineErrorCode.MODEL_DATA_MISMATCH, msg.noBatchColumn("mlpClassifier", name, Object.keys(batch.columns)), { where: name });
  }
  return column;
}

/** Class indices as int64, converted once per batch unless they already are. */
function int64Labels(labels: Tensor): BigInt64Array {
  const data = labels.data;
  if (data instanceof BigInt64Array) return data;
  if (data instanceof Uint8Array || data instanceof Int32Array) return BigInt64Array.from(data, (l) => BigInt(l));
  throw new RangeError(msg.labelsNotIndices("mlpClassifier", labels.dtype));
}

/** Rebuilds the classifier from the config it recorded (for the model registry). */
export const mlpClassifierDefinition: ModelDefinition = {
  kind: MLP_CLASSIFIER,
  fromConfig: (c) =>
    mlpClassifier({
      inputSize: numberField(c, "inputSize"),
      hidden: numberArrayField(c, "hidden"),
      classes: numberField(c, "classes"),
      dropout: c["dropout"] === undefined ? 0 : numberField(c, "dropout"),
    }),
};
