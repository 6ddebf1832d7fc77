/**
 * The mapping between nbresume's DType names (onnxruntime's) and safetensors dtype strings,
 * element sizes, and the rank the reference writer orders tensors by.
 */
import type { DType } from "../../tensor.js";
import type { SafetensorsDType } from "./safetensors.js";

export const SAFETENSORS_DTYPE_OF: Readonly<Record<DType, SafetensorsDType>> = {
  float64: "F64",
  float32: "F32",
  float16: "F16",
  bfloat16: "BF16",
  int64: "I64",
  int32: "I32",
  int16: "I16",
  int8: "I8",
  uint8: "U8",
  bool: "BOOL",
};

export const DTYPE_OF: Readonly<Record<SafetensorsDType, DType>> = {
  F64: "float64",
  F32: "float32",
  F16: "float16",
  BF16: "bfloat16",
  I64: "int64",
  I32: "int32",
  I16: "int16",
  I8: "int8",
  U8: "uint8",
  BOOL: "bool",
};

export const SAFETENSORS_DTYPES: readonly SafetensorsDType[] = ["F64", "F32", "F16", "BF16", "I64", "I32", "I16", "I8", "U8", "BOOL"];

export const ELEMENT_BYTES: Readonly<Record<SafetensorsDType, number>> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

/**
 * Position in the reference implementation's `Dtype` enum, which is declared in increasing
 * alignment order and derives `Ord`; its writer sorts tensors by this rank descending, then by
 * name. Only the relative order of our ten dtypes matters, so the gaps (F4, U16, C64, …) are
 * left out. Note I64 ranks above F64: that is the reference's order, so we keep it.
 */
export const REFERENCE_RANK: Readonly<Record<SafetensorsDType, number>> = {
  BOOL: 0,
  U8: 1,
  I8: 2,
  I16: 3,
  F16: 4,
  BF16: 5,
  I32: 6,
  F32: 7,
  F64: 8,
  I64: 9,
};

/** Dtypes the published format defines that nbresume has no tensor type for. */
export const OTHER_FORMAT_DTYPES: readonly string[] = [
  "U16",
  "U32",
  "U64",
  "C64",
  "F4",
  "F6_E2M3",
  "F6_E3M2",
  "F8_E5M2",
  "F8_E4M3",
  "F8_E8M0",
  "F8_E4M3FNUZ",
  "F8_E5M2FNUZ",
];

export function isSafetensorsDType(value: unknown): value is SafetensorsDType {
  return typeof value === "string" && Object.prototype.hasOwnProperty.call(ELEMENT_BYTES, value);
}
