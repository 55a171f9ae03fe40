import { MicroLoraError, corrupt } from '@microlora/core';
import type { ByteReader, ByteWriter } from '@microlora/core';
import type { Metric } from '../contract.js';
import { metricCode, metricFromCode } from '../metric.js';
import { MAX_DIMENSION } from '../validate.js';

/** What every index container states right after its magic and version. */
export interface IndexHeader {
  metric: Metric;
  dimension: number;
}

/** Writes `u8 metric | u8×3 zero | u32 dimension` (8 bytes, so what follows stays 4-aligned). */
export function writeIndexHeader(w: ByteWriter, header: IndexHeader): void {
  w.u8(metricCode(header.metric));
  w.u8(0);
  w.u8(0);
  w.u8(0);
  w.u32(header.dimension);
}

/** Reads what writeIndexHeader() wrote; CORRUPT_DATA for an unknown metric, non-zero reserved bytes or a dimension out of range. */
export function readIndexHeader(r: ByteReader, what: string): IndexHeader {
  const code = r.u8('metric');
  const metric = metricFromCode(code);
  if (metric === undefined) throw corrupt(what, `unknown metric code ${code}`);
  if (r.u8('reserved') !== 0 || r.u8('reserved') !== 0 || r.u8('reserved') !== 0) {
    throw corrupt(what, 'reserved header bytes are not zero');
  }
  const dimension = r.u32('dimension');
  if (dimension < 1 || dimension > MAX_DIMENSION) throw corrupt(what, `dimension ${dimension} is out of range`);
  return { metric, dimension };
}

/** DIMENSION_MISMATCH / INVALID_ARGUMENT when a saved index does not fit the index loading it. */
export function assertSnapshotFits(what: string, saved: IndexHeader, target: IndexHeader): void {
  if (saved.dimension !== target.dimension) {
    throw new MicroLoraError(
      'DIMENSION_MISMATCH',
      `the saved ${what} has dimension ${saved.dimension}, but this index has dimension ${target.dimension}; load it into an index created with dimension ${saved.dimension}`,
      { details: { saved: saved.dimension, expected: target.dimension } },
    );
  }
  if (saved.metric !== target.metric) {
    throw new MicroLoraError(
      'INVALID_ARGUMENT',
      `the saved ${what} uses metric '${saved.metric}', but this index uses '${target.metric}'; load it into an index created with metric '${saved.metric}'`,
      { details: { saved: saved.metric, expected: target.metric } },
    );
  }
}
