/**
 * The feeds a model gets when it does not write its own: each input takes the batch column of the
 * same name. A column whose dtype differs is converted when nothing can be lost (uint8 labels to
 * the int64 that SoftmaxCrossEntropyLoss and Gather take, int32 to int64 or float32); anything else
 * is refused naming the input, the column and what to do: NbresumeError MODEL_DATA_MISMATCH, so a
 * run can check its data against the model before it starts (and tell it from other failures).
 */
import { NbresumeError } from "../../errors.js";
import { EngineErrorCode } from "../messages.js";
import { nnMessages as msg } from "./messages.js";
import { allocate, type DType, type Tensor } from "../../tensor.js";
import type { Batch } from "../data/batch.js";
import type { Feeds, InputSpecs } from "./model.js";

const LOSSLESS: Readonly<Record<string, readonly DType[]>> = {
  uint8: ["int32", "int64", "float32", "float64"],
  int32: ["int64", "float32", "float64"],
  int64: ["int32", "float32", "float64"],
  float32: ["float64"],
};

function mismatch(message: string, where: string): NbresumeError {
  return new NbresumeError(EngineErrorCode.MODEL_DATA_MISMATCH, message, { where });
}

function convert(t: Tensor, to: DType, input: string): Tensor {
  const out = allocate(to, t.data.length);
  const src = t.data;
  if (to === "int64") {
    const o = out as BigInt64Array;
    for (let i = 0; i < src.length; i++) o[i] = BigInt(src[i] as number);
  } else if (t.dtype === "int64") {
    const s = src as BigInt64Array;
    const o = out as Int32Array | Float32Array | Float64Array;
    for (let i = 0; i < s.length; i++) {
      const v = s[i]!;
      if (to === "int32" && (v > 2147483647n || v < -2147483648n)) {
        throw mismatch(msg.beyondInt32(input, v, Math.floor(i / Math.max(1, s.length / t.shape[0]!))), input);
      }
      o[i] = Number(v);
    }
  } else {
    (out as Float32Array).set(src as ArrayLike<number>);
  }
  return { dtype: to, shape: t.shape, data: out };
}

/** Feeds for `specs` from the batch's columns of the same names; MODEL_DATA_MISMATCH when one does not fit. */
export function columnFeeds(batch: Batch, specs: InputSpecs, model: string): Feeds {
  const feeds: Record<string, Tensor> = {};
  const columns = batch.columns ?? {};
  for (const [name, spec] of Object.entries(specs)) {
    const column = columns[name];
    if (column === undefined) {
      throw mismatch(msg.noColumnForInput(model, name, Object.keys(columns)), name);
    }
    if (column.shape.length !== spec.shape.length || column.shape.some((d, i) => d !== spec.shape[i])) {
      throw mismatch(msg.columnShape(model, name, spec, column), name);
    }
    if (column.dtype === spec.dtype) {
      feeds[name] = column;
    } else if ((LOSSLESS[column.dtype] ?? []).includes(spec.dtype)) {
      feeds[name] = convert(column, spec.dtype, name);
    } else {
      throw mismatch(msg.lossyColumn(model, name, spec.dtype, column.dtype), name);
    }
  }
  return feeds;
}
