import { MicroLoraError } from '@microlora/core';
import { BINARY_HEADER_BYTES, BINARY_MAGIC, BINARY_VERSION, QUANT_SCHEMES } from '@microlora/quantization';

export interface LoraShapeLimits {
  maxRank: number;
  inFeatures?: number;
  outFeatures?: number;
}

/**
 * Typed checks on the header of encodeBinary bytes, run before decodeBinary so
 * that a rank, shape or non-finite problem gets its own code instead of the
 * decoder's generic CORRUPT_DATA. Offsets follow the quantization README's
 * layout (version 1). Anything this does not recognise is left to decodeBinary,
 * which validates everything again.
 */
export function checkLoraHeader(bytes: Uint8Array, limits: LoraShapeLimits, where: string): void {
  if (bytes.length < BINARY_HEADER_BYTES + 4) return;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== BINARY_MAGIC || view.getUint16(4, true) !== BINARY_VERSION) return;
  const rank = view.getUint32(8, true);
  const inFeatures = view.getUint32(12, true);
  const outFeatures = view.getUint32(16, true);
  if (rank < 1 || rank > limits.maxRank) {
    throw new MicroLoraError('RANK_OUT_OF_RANGE', `${where} has rank ${rank}; this importer accepts ranks 1…${limits.maxRank} (limits.maxRank)`, {
      details: { where, rank, maxRank: limits.maxRank },
    });
  }
  for (const [name, actual, expected] of [
    ['inFeatures', inFeatures, limits.inFeatures],
    ['outFeatures', outFeatures, limits.outFeatures],
  ] as const) {
    if (expected !== undefined && actual !== expected) {
      throw new MicroLoraError('DIMENSION_MISMATCH', `${where} has ${name} ${actual}; this model needs ${expected}`, {
        details: { where, name, actual, expected },
      });
    }
  }
  const alpha = view.getFloat64(24, true);
  if (!Number.isFinite(alpha)) {
    throw new MicroLoraError('NON_FINITE', `${where} has alpha ${alpha}; weights must be finite`, { details: { where, alpha } });
  }
  const scheme = QUANT_SCHEMES[view.getUint8(6)];
  const groupSize = view.getUint32(20, true);
  let scaleCount: number;
  if (scheme === 'per-tensor') scaleCount = 2;
  else if (scheme === 'per-row' || scheme === 'asymmetric') scaleCount = 2 * rank;
  else if (scheme === 'grouped' && groupSize >= 1 && inFeatures % groupSize === 0 && outFeatures % groupSize === 0) {
    scaleCount = (rank * (inFeatures + outFeatures)) / groupSize;
  } else return;
  const available = Math.floor((bytes.length - BINARY_HEADER_BYTES - 4) / 4);
  for (let i = 0; i < Math.min(scaleCount, available); i++) {
    const scale = view.getFloat32(BINARY_HEADER_BYTES + 4 * i, true);
    if (!Number.isFinite(scale)) {
      throw new MicroLoraError('NON_FINITE', `${where} has quantisation scale ${i} = ${scale}; weights must be finite`, {
        details: { where, index: i, scale },
      });
    }
  }
}
