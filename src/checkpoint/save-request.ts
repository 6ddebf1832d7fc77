/**
 * A save request checked at the API boundary (TypeError/RangeError naming the field) and its
 * state serialized at once: a bad request is the caller's error, before anything is written.
 */
import type { TensorGroup } from "../tensor.js";
import { NBRESUME_VERSION } from "./library-version.js";
import { badArgument } from "./messages.js";
import { CHECKPOINT_KINDS, isCheckpointKind, isValidGroupName } from "./naming.js";
import { setOwn } from "../shared/own-record.js";
import { serializeState } from "./state-file.js";
import type { BestMetric, CheckpointKind, Metrics, SaveRequest } from "./store.js";

export interface ValidRequest {
  kind: CheckpointKind;
  step: number;
  epoch: number;
  metrics: Metrics;
  groups: [string, TensorGroup][];
}

export function validateBestMetric(value: unknown): BestMetric | undefined {
  if (value === undefined) return undefined;
  const v = value as Partial<BestMetric>;
  if (typeof value !== "object" || value === null || typeof v.name !== "string" || v.name.length === 0 || (v.mode !== "min" && v.mode !== "max")) {
    throw new TypeError(badArgument.bestMetric(value));
  }
  return { name: v.name, mode: v.mode };
}

function validateMetrics(metrics: unknown): Metrics {
  if (metrics === undefined) return {};
  if (typeof metrics !== "object" || metrics === null || Array.isArray(metrics)) {
    throw new TypeError(badArgument.metrics(metrics));
  }
  const out: Metrics = {};
  for (const [name, value] of Object.entries(metrics)) {
    if (typeof value !== "number") throw new TypeError(badArgument.metric(name, value));
    setOwn(out, name, value);
  }
  return out;
}

export function validateSaveRequest(req: SaveRequest): ValidRequest {
  if (typeof req !== "object" || req === null) throw new TypeError(badArgument.saveRequest());
  if (!isCheckpointKind(req.kind)) throw new TypeError(badArgument.kind(CHECKPOINT_KINDS, req.kind));
  if (typeof req.step !== "number" || !Number.isSafeInteger(req.step) || req.step < 0) throw new RangeError(badArgument.count("step", req.step));
  const epoch = req.epoch ?? 0;
  if (typeof epoch !== "number" || !Number.isSafeInteger(epoch) || epoch < 0) throw new RangeError(badArgument.count("epoch", req.epoch));
  if (typeof req.tensors !== "object" || req.tensors === null) throw new TypeError(badArgument.tensors());
  const groups = Object.entries(req.tensors);
  for (const [group, tensors] of groups) {
    if (!isValidGroupName(group)) {
      throw new TypeError(badArgument.groupName(group));
    }
    if (typeof tensors !== "object" || tensors === null) throw new TypeError(badArgument.group(group));
  }
  return { kind: req.kind, step: req.step, epoch, metrics: validateMetrics(req.metrics), groups };
}

/** Validate, and serialize the state now. */
export function prepareSave(request: SaveRequest): { req: ValidRequest; stateBytes: Uint8Array } {
  const req = validateSaveRequest(request);
  const stateBytes = serializeState({ kind: req.kind, step: req.step, epoch: req.epoch, metrics: req.metrics, nbresume: NBRESUME_VERSION }, request.state);
  return { req, stateBytes };
}
