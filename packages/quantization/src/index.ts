export { compress } from './compress.js';
export type { CompressOptions } from './compress.js';
export { decompress, decompressInto, dequantizeGroups, dequantizeTensorInto } from './decompress.js';
export type { DecompressOptions, DecompressIntoOptions } from './decompress.js';
export { encodeBinary, decodeBinary, byteSize, BINARY_MAGIC, BINARY_VERSION, BINARY_HEADER_BYTES } from './binary-codec.js';
export { encodeJson, decodeJson, JSON_FORMAT, JSON_VERSION } from './json-codec.js';
export { relativeFrobeniusError } from './frobenius.js';
export { assertValidCompressedLora, compressedLoraProblem } from './validate-compressed.js';
export { QUANT_SCHEMES, DEFAULT_GROUP_SIZE, SCALE_MIN, SCALE_MAX, VALUE_LIMIT } from './limits.js';
