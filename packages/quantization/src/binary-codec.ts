import { FEATURES_LIMIT, MicroLoraError, RANK_LIMIT, crc32 } from '@microlora/core';
import type { CompressedLora, QuantScheme, QuantizedTensor } from '@microlora/core';
import { factorGroupSize, factorScaleCount, hasZeroPoints } from './group-layout.js';
import { QUANT_SCHEMES } from './limits.js';
import { assertValidCompressedLora, scalesProblem, zeroPointsProblem } from './validate-compressed.js';

/** "MLQ8": MicroLoRA quantised, int8. */
export const BINARY_MAGIC = 0x3851_4c4d;
/** The binary layout version this build writes and reads. */
export const BINARY_VERSION = 1;
/** Fixed header bytes before the scales. */
export const BINARY_HEADER_BYTES = 40;
const CRC_BYTES = 4;

interface Layout {
  scheme: QuantScheme;
  rank: number;
  inFeatures: number;
  outFeatures: number;
  /** The header's group size: the grouped scheme's, 0 otherwise. */
  headerGroupSize: number;
  aScales: number;
  bScales: number;
  zeroPoints: boolean;
  total: number;
}

function layoutOf(
  scheme: QuantScheme,
  rank: number,
  inFeatures: number,
  outFeatures: number,
  headerGroupSize: number,
): Layout {
  const aScales = factorScaleCount(scheme, rank, inFeatures, headerGroupSize);
  const bScales = factorScaleCount(scheme, rank, outFeatures, headerGroupSize);
  const zeroPoints = hasZeroPoints(scheme);
  const total =
    BINARY_HEADER_BYTES +
    4 * (aScales + bScales) +
    (zeroPoints ? 2 * (aScales + bScales) : 0) +
    rank * (inFeatures + outFeatures) +
    CRC_BYTES;
  return { scheme, rank, inFeatures, outFeatures, headerGroupSize, aScales, bScales, zeroPoints, total };
}

function layoutOfValid(c: CompressedLora): Layout {
  assertValidCompressedLora(c);
  return layoutOf(c.scheme, c.rank, c.inFeatures, c.outFeatures, c.scheme === 'grouped' ? c.a.groupSize : 0);
}

/** Exact length of encodeBinary(c), without encoding. */
export function byteSize(c: CompressedLora): number {
  return layoutOfValid(c).total;
}

/**
 * The versioned little-endian binary form (layout in the README), ending in a
 * CRC-32. Canonical: the same CompressedLora always gives the same bytes.
 */
export function encodeBinary(c: CompressedLora): Uint8Array {
  const layout = layoutOfValid(c);
  const out = new Uint8Array(layout.total);
  const view = new DataView(out.buffer);
  view.setUint32(0, BINARY_MAGIC, true);
  view.setUint16(4, BINARY_VERSION, true);
  view.setUint8(6, QUANT_SCHEMES.indexOf(c.scheme));
  view.setUint8(7, 0);
  view.setUint32(8, c.rank, true);
  view.setUint32(12, c.inFeatures, true);
  view.setUint32(16, c.outFeatures, true);
  view.setUint32(20, layout.headerGroupSize, true);
  view.setFloat64(24, c.alpha, true);
  view.setBigUint64(32, c.layerMask, true);
  let o = BINARY_HEADER_BYTES;
  for (const scales of [c.a.scales, c.b.scales]) {
    for (const s of scales) {
      view.setFloat32(o, s, true);
      o += 4;
    }
  }
  for (const zeroPoints of [c.a.zeroPoints, c.b.zeroPoints]) {
    for (const z of zeroPoints ?? []) {
      view.setInt16(o, z, true);
      o += 2;
    }
  }
  out.set(new Uint8Array(c.a.data.buffer, c.a.data.byteOffset, c.a.data.length), o);
  o += c.a.data.length;
  out.set(new Uint8Array(c.b.data.buffer, c.b.data.byteOffset, c.b.data.length), o);
  o += c.b.data.length;
  view.setUint32(o, crc32(out.subarray(0, o)), true);
  return out;
}

function corrupt(message: string, details: Record<string, unknown> = {}): MicroLoraError {
  return new MicroLoraError('CORRUPT_DATA', `${message}; the compressed adapter bytes are damaged or not MicroLoRA data`, {
    details,
  });
}

function checksumMatches(bytes: Uint8Array, view: DataView): boolean {
  const end = bytes.length - CRC_BYTES;
  return crc32(bytes.subarray(0, end)) === view.getUint32(end, true);
}

function readHeader(bytes: Uint8Array, view: DataView): Layout {
  if (bytes.length < BINARY_HEADER_BYTES + CRC_BYTES) {
    throw corrupt(`only ${bytes.length} bytes; a compressed adapter has at least ${BINARY_HEADER_BYTES + CRC_BYTES}`, {
      length: bytes.length,
    });
  }
  const magic = view.getUint32(0, true);
  if (magic !== BINARY_MAGIC) throw corrupt(`magic 0x${magic.toString(16)} is not "MLQ8"`, { magic });
  const version = view.getUint16(4, true);
  if (version !== BINARY_VERSION) {
    // Every version ends in a CRC-32 of the rest: tell a newer file from a damaged version field.
    if (!checksumMatches(bytes, view)) throw corrupt(`version field ${version} with a checksum mismatch`, { version });
    throw new MicroLoraError(
      'UNSUPPORTED_VERSION',
      `compressed adapter format version ${version}; this build reads version ${BINARY_VERSION}, upgrade @microlora/quantization`,
      { details: { version, supported: BINARY_VERSION } },
    );
  }
  const schemeCode = view.getUint8(6);
  const scheme = QUANT_SCHEMES[schemeCode];
  if (scheme === undefined) throw corrupt(`scheme code ${schemeCode} is unknown`, { schemeCode });
  if (view.getUint8(7) !== 0) throw corrupt(`reserved byte 7 is ${view.getUint8(7)}, expected 0`);
  const rank = view.getUint32(8, true);
  const inFeatures = view.getUint32(12, true);
  const outFeatures = view.getUint32(16, true);
  const groupSize = view.getUint32(20, true);
  if (rank < 1 || rank > RANK_LIMIT) throw corrupt(`rank ${rank} is outside [1, ${RANK_LIMIT}]`, { rank });
  if (inFeatures < 1 || inFeatures > FEATURES_LIMIT) {
    throw corrupt(`inFeatures ${inFeatures} is outside [1, ${FEATURES_LIMIT}]`, { inFeatures });
  }
  if (outFeatures < 1 || outFeatures > FEATURES_LIMIT) {
    throw corrupt(`outFeatures ${outFeatures} is outside [1, ${FEATURES_LIMIT}]`, { outFeatures });
  }
  if (scheme === 'grouped') {
    if (groupSize < 1 || inFeatures % groupSize !== 0 || outFeatures % groupSize !== 0) {
      throw corrupt(`groupSize ${groupSize} does not divide inFeatures ${inFeatures} and outFeatures ${outFeatures}`, {
        groupSize,
      });
    }
  } else if (groupSize !== 0) {
    throw corrupt(`groupSize ${groupSize} is set for the '${scheme}' scheme, expected 0`, { groupSize });
  }
  return layoutOf(scheme, rank, inFeatures, outFeatures, groupSize);
}

function readTensor(
  bytes: Uint8Array,
  view: DataView,
  name: 'a' | 'b',
  layout: Layout,
  offsets: { scales: number; zeroPoints: number; data: number },
  count: number,
  cols: number,
): QuantizedTensor {
  const scales = new Float32Array(count);
  for (let i = 0; i < count; i++) scales[i] = view.getFloat32(offsets.scales + 4 * i, true);
  const badScale = scalesProblem(name, scales);
  if (badScale !== undefined) throw corrupt(badScale);
  let zeroPoints: Int16Array | null = null;
  if (layout.zeroPoints) {
    zeroPoints = new Int16Array(count);
    for (let i = 0; i < count; i++) zeroPoints[i] = view.getInt16(offsets.zeroPoints + 2 * i, true);
    const badZero = zeroPointsProblem(name, zeroPoints);
    if (badZero !== undefined) throw corrupt(badZero);
  }
  const length = layout.rank * cols;
  // A copy: the result must not alias (or pin) the caller's buffer.
  const data = new Int8Array(length);
  data.set(new Int8Array(bytes.buffer, bytes.byteOffset + offsets.data, length));
  return { data, scales, zeroPoints, groupSize: factorGroupSize(layout.scheme, layout.rank, cols, layout.headerGroupSize) };
}

/**
 * Parses encodeBinary output. Every size is checked against bytes.length before
 * anything is allocated; any damage gives CORRUPT_DATA, another format version
 * UNSUPPORTED_VERSION.
 */
export function decodeBinary(bytes: Uint8Array): CompressedLora {
  if (!(bytes instanceof Uint8Array)) {
    throw new MicroLoraError('INVALID_ARGUMENT', 'decodeBinary needs a Uint8Array (wrap an ArrayBuffer with new Uint8Array(buf))');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const layout = readHeader(bytes, view);
  if (bytes.length !== layout.total) {
    const what = bytes.length < layout.total ? 'truncated' : 'has trailing bytes';
    throw corrupt(`input ${what}: the header declares ${layout.total} bytes, got ${bytes.length}`, {
      expected: layout.total,
      actual: bytes.length,
    });
  }
  if (!checksumMatches(bytes, view)) throw corrupt('CRC-32 checksum mismatch');
  const alpha = view.getFloat64(24, true);
  if (!Number.isFinite(alpha)) throw corrupt(`alpha is ${alpha}`, { alpha });
  const layerMask = view.getBigUint64(32, true);
  const { aScales, bScales, rank, inFeatures } = layout;
  const scalesStart = BINARY_HEADER_BYTES;
  const zeroStart = scalesStart + 4 * (aScales + bScales);
  const dataStart = zeroStart + (layout.zeroPoints ? 2 * (aScales + bScales) : 0);
  const a = readTensor(bytes, view, 'a', layout, { scales: scalesStart, zeroPoints: zeroStart, data: dataStart }, aScales, inFeatures);
  const b = readTensor(
    bytes,
    view,
    'b',
    layout,
    { scales: scalesStart + 4 * aScales, zeroPoints: zeroStart + 2 * aScales, data: dataStart + rank * inFeatures },
    bScales,
    layout.outFeatures,
  );
  const c: CompressedLora = {
    scheme: layout.scheme,
    rank,
    inFeatures,
    outFeatures: layout.outFeatures,
    alpha,
    layerMask,
    a,
    b,
  };
  // By construction this holds; re-checking makes "decodes ⇒ valid" independent of the parser.
  assertValidCompressedLora(c, 'CORRUPT_DATA');
  return c;
}
