import { ByteWriter, SHARING_TIERS, corrupt, openContainer } from '@microlora/core';
import type { ContainerFormat, PatternMetrics, SharingTier } from '@microlora/core';
import type { DpRecord } from './differential-privacy.js';
import { METRIC_FIELDS } from './pattern-validation.js';
import { ed25519Sign, SIGNATURE_BYTES } from './webcrypto.js';
import type { CryptoKeyLike } from './webcrypto.js';

/** The bundle container: magic "MLFB", version 1. */
export const BUNDLE_FORMAT: Readonly<ContainerFormat> = Object.freeze({ magic: 'MLFB', version: 1, what: 'federation bundle' });

/** Who a bundle is addressed to. */
export interface Audience {
  tier: SharingTier;
  group?: string;
  tenant?: string;
}

export interface BundleHeader {
  exporterKeyId: string;
  /** ms since the epoch. */
  createdAt: number;
  audience: Audience;
  dp: DpRecord | null;
}

/** One pattern in a bundle: its canonical bytes, its metrics (not in the hash) and its origin's signature. */
export interface BundleRecord {
  canonical: Uint8Array;
  metrics: PatternMetrics;
  signature: Uint8Array;
}

/** A bundle parsed for structure only: nothing in it is verified yet. */
export interface RawBundle {
  header: BundleHeader;
  records: BundleRecord[];
  /** The bytes the bundle signature covers: magic through the last record. */
  signedRegion: Uint8Array;
  signature: Uint8Array;
}

const WHAT = BUNDLE_FORMAT.what;
const METRICS_BYTES = 8 * METRIC_FIELDS.length;

function writeOptional(w: ByteWriter, value: string | undefined): void {
  w.u8(value === undefined ? 0 : 1);
  if (value !== undefined) w.string(value);
}

/** Encodes and signs a bundle (layout in the README); the signature covers every byte before it. */
export async function writeBundle(header: BundleHeader, records: readonly BundleRecord[], privateKey: CryptoKeyLike): Promise<Uint8Array> {
  const size = 128 + records.reduce((n, r) => n + r.canonical.length + METRICS_BYTES + SIGNATURE_BYTES + 4, 0);
  const w = new ByteWriter(BUNDLE_FORMAT, size);
  w.string(header.exporterKeyId);
  w.f64(header.createdAt);
  w.u8(SHARING_TIERS.indexOf(header.audience.tier));
  writeOptional(w, header.audience.group);
  writeOptional(w, header.audience.tenant);
  w.u8(header.dp === null ? 0 : 1);
  if (header.dp !== null) {
    w.f64(header.dp.epsilon);
    w.f64(header.dp.delta);
    w.f64(header.dp.clipNorm);
    w.f64(header.dp.sigma);
  }
  w.u32(records.length);
  for (const record of records) {
    w.u32(record.canonical.length);
    w.bytes(record.canonical);
    for (const field of METRIC_FIELDS) w.f64(record.metrics[field]);
    w.bytes(record.signature);
  }
  const unsigned = w.finish();
  const signedRegion = unsigned.subarray(0, unsigned.length - 4);
  const signature = await ed25519Sign(privateKey, signedRegion);
  const out = new ByteWriter(BUNDLE_FORMAT, unsigned.length + SIGNATURE_BYTES);
  out.bytes(signedRegion.subarray(6));
  out.bytes(signature);
  return out.finish();
}

function readFlag(value: number, field: string): boolean {
  if (value > 1) throw corrupt(WHAT, `${field} byte is ${value}, expected 0 or 1`);
  return value === 1;
}

/**
 * Parses a bundle's structure (magic, version, CRC, lengths). `onCount` sees
 * the declared pattern count before any record is read (to enforce limits).
 * Verifies nothing cryptographic.
 */
export function readBundle(bytes: Uint8Array, onCount: (count: number) => void): RawBundle {
  const r = openContainer(bytes, BUNDLE_FORMAT);
  const exporterKeyId = r.string('exporterKeyId');
  const createdAt = r.f64('createdAt');
  const tierCode = r.u8('audience tier');
  const tier = SHARING_TIERS[tierCode];
  if (tier === undefined) throw corrupt(WHAT, `audience tier code ${tierCode} is unknown`);
  const audience: Audience = { tier };
  if (readFlag(r.u8('group flag'), 'group flag')) audience.group = r.string('audience group');
  if (readFlag(r.u8('tenant flag'), 'tenant flag')) audience.tenant = r.string('audience tenant');
  let dp: DpRecord | null = null;
  if (readFlag(r.u8('dp flag'), 'dp flag')) {
    dp = { epsilon: r.f64('dp epsilon'), delta: r.f64('dp delta'), clipNorm: r.f64('dp clipNorm'), sigma: r.f64('dp sigma') };
  }
  const count = r.u32('pattern count');
  onCount(count);
  const records: BundleRecord[] = [];
  for (let i = 0; i < count; i++) {
    const canonical = r.bytes(r.u32(`record ${i} length`), `record ${i}`);
    const values: Record<string, number> = {};
    for (const field of METRIC_FIELDS) values[field] = r.f64(`record ${i} metrics.${field}`);
    const signature = r.bytes(SIGNATURE_BYTES, `record ${i} signature`);
    records.push({ canonical, metrics: values as unknown as PatternMetrics, signature });
  }
  const signedEnd = bytes.length - 4 - r.remaining;
  const signature = r.bytes(SIGNATURE_BYTES, 'bundle signature');
  r.expectEnd();
  return { header: { exporterKeyId, createdAt, audience, dp }, records, signedRegion: bytes.subarray(0, signedEnd), signature };
}
