/**
 * The safetensors format (huggingface/safetensors), streamed: a writer that produces the
 * reference implementation's bytes, and a validating reader for untrusted files.
 */
export type {
  ByteSink,
  ByteSource,
  HeaderEntry,
  ParsedHeader,
  ReadSafetensorsOptions,
  SafetensorsDType,
  SafetensorsFile,
  SafetensorsLayout,
} from "./safetensors.js";
export { fileByteSource, memoryByteSource } from "./byte-source.js";
export { DTYPE_OF, ELEMENT_BYTES, SAFETENSORS_DTYPES, SAFETENSORS_DTYPE_OF } from "./dtypes.js";
export { MAX_HEADER_BYTES, parseHeader, readHeaderLength } from "./header.js";
export { SafetensorsErrorCode, type SafetensorsErrorCodeValue, safetensorsMessages } from "./messages.js";
export { parseSafetensors, readSafetensors } from "./reader.js";
export { checkTensorGroup, safetensorsLayout, writeSafetensors } from "./writer.js";
