/**
 * The one tensor shape every layer exchanges: the checkpoint store writes it, the engine
 * produces it, the CLI prints it. Plain data, no methods, so it crosses worker threads and
 * process boundaries unchanged.
 */

/** Element types, named as onnxruntime names them. float16/bfloat16 travel as raw 16-bit words. */
export type DType = "float64" | "float32" | "float16" | "bfloat16" | "int64" | "int32" | "int16" | "int8" | "uint8" | "bool";

export const DTYPES: readonly DType[] = ["float64", "float32", "float16", "bfloat16", "int64", "int32", "int16", "int8", "uint8", "bool"];

export interface TypedArrayOf {
  float64: Float64Array;
  float32: Float32Array;
  float16: Uint16Array;
  bfloat16: Uint16Array;
  int64: BigInt64Array;
  int32: Int32Array;
  int16: Int16Array;
  int8: Int8Array;
  uint8: Uint8Array;
  bool: Uint8Array;
}

export type TensorData = TypedArrayOf[DType];

/** A dense, row-major tensor. `data.length` equals the product of `shape` (1 for a scalar). */
export interface Tensor<D extends DType = DType> {
  readonly dtype: D;
  readonly shape: readonly number[];
  readonly data: TypedArrayOf[D];
}

/** A named group of tensors, e.g. the model's parameters or the optimizer's moments. */
export type TensorGroup = Record<string, Tensor>;

export const BYTES_PER_ELEMENT: Readonly<Record<DType, number>> = {
  float64: 8,
  float32: 4,
  float16: 2,
  bfloat16: 2,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint8: 1,
  bool: 1,
};

type TypedArrayConstructor = new (buffer: ArrayBufferLike, byteOffset: number, length: number) => TensorData;

const CONSTRUCTORS: Readonly<Record<DType, TypedArrayConstructor & { new (length: number): TensorData }>> = {
  float64: Float64Array,
  float32: Float32Array,
  float16: Uint16Array,
  bfloat16: Uint16Array,
  int64: BigInt64Array,
  int32: Int32Array,
  int16: Int16Array,
  int8: Int8Array,
  uint8: Uint8Array,
  bool: Uint8Array,
};

export function isDType(value: unknown): value is DType {
  return typeof value === "string" && (DTYPES as readonly string[]).includes(value);
}

/** Number of elements of a shape; 1 for the scalar shape []. */
export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** A zero-filled typed array of the right class for `dtype`. */
export function allocate<D extends DType>(dtype: D, length: number): TypedArrayOf[D] {
  return new CONSTRUCTORS[dtype](length) as TypedArrayOf[D];
}

/** A typed-array view over bytes (no copy). `byteOffset` must be aligned for the element size. */
export function viewAs<D extends DType>(dtype: D, buffer: ArrayBufferLike, byteOffset: number, length: number): TypedArrayOf[D] {
  return new CONSTRUCTORS[dtype](buffer, byteOffset, length) as TypedArrayOf[D];
}

export function tensor<D extends DType>(dtype: D, shape: readonly number[], data?: TypedArrayOf[D]): Tensor<D> {
  const n = elementCount(shape);
  const d = data ?? allocate(dtype, n);
  if (d.length !== n) {
    throw new RangeError(`tensor: data has ${d.length} elements but shape [${shape.join(", ")}] needs ${n}.`);
  }
  return { dtype, shape: [...shape], data: d };
}

/** A deep copy whose buffer no one else holds (used to snapshot state before a background save). */
export function cloneTensor<D extends DType>(t: Tensor<D>): Tensor<D> {
  return { dtype: t.dtype, shape: [...t.shape], data: t.data.slice() as TypedArrayOf[D] };
}

/** The bytes of a tensor's data, as a view (no copy), in this machine's (little-endian) order. */
export function tensorBytes(t: Tensor): Uint8Array {
  return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}
