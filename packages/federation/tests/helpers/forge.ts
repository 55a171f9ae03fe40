/**
 * An independent writer of the documented wire formats (README "Wire formats"),
 * with no validation, for building hostile input. It shares no code with the
 * package's encoder except CRC-32 and WebCrypto.
 */
import type { webcrypto } from 'node:crypto';
import { crc32 } from '@microlora/core';
import { encodeBinary } from '@microlora/quantization';
import type { Pattern, PatternMetrics } from '@microlora/core';
import type { SigningKey, CryptoKeyLike } from '@microlora/federation';

const subtle = globalThis.crypto.subtle;
const utf8 = new TextEncoder();

class Writer {
  private parts: number[] = [];
  raw(bytes: ArrayLike<number>): this {
    for (let i = 0; i < bytes.length; i++) this.parts.push(bytes[i] as number);
    return this;
  }
  u8(v: number): this {
    return this.raw([v & 255]);
  }
  u16(v: number): this {
    return this.raw([v & 255, (v >> 8) & 255]);
  }
  u32(v: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v >>> 0, true);
    return this.raw(b);
  }
  f64(v: number): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, v, true);
    return this.raw(b);
  }
  f32s(values: ArrayLike<number>): this {
    const b = new Uint8Array(4 * values.length);
    const view = new DataView(b.buffer);
    for (let i = 0; i < values.length; i++) view.setFloat32(4 * i, values[i] as number, true);
    return this.raw(b);
  }
  str(s: string | Uint8Array): this {
    const bytes = typeof s === 'string' ? utf8.encode(s) : s;
    return this.u32(bytes.length).raw(bytes);
  }
  opt(s: string | undefined): this {
    return s === undefined ? this.u8(0) : this.u8(1).str(s);
  }
  bytes(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
  withCrc(): Uint8Array {
    return appendCrc(this.bytes());
  }
}

export function appendCrc(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(body.length + 4);
  out.set(body);
  new DataView(out.buffer).setUint32(body.length, crc32(body), true);
  return out;
}

/** Recomputes the trailing CRC-32 of a container. */
export function fixCrc(bytes: Uint8Array): Uint8Array {
  return appendCrc(bytes.subarray(0, bytes.length - 4));
}

export interface RawPattern {
  version: number;
  id: string | Uint8Array;
  embedding: ArrayLike<number>;
  lora: Uint8Array;
  timestep: [number, number];
  tierCode: number;
  consentByte: number;
  ownerId: string;
  groupId?: string;
  tenantId?: string;
  originKeyId: string;
  createdAt: number;
  parentIds: string[];
}

const TIERS = ['private', 'group', 'tenant', 'public'];

export function rawFromPattern(p: Pattern): RawPattern {
  const raw: RawPattern = {
    version: 1,
    id: p.id,
    embedding: p.embedding,
    lora: encodeBinary(p.lora),
    timestep: [p.timestepRange[0], p.timestepRange[1]],
    tierCode: TIERS.indexOf(p.policy.tier),
    consentByte: p.policy.consent ? 1 : 0,
    ownerId: p.policy.ownerId,
    originKeyId: p.provenance.originKeyId,
    createdAt: p.provenance.createdAt,
    parentIds: [...p.provenance.parentIds],
  };
  if (p.policy.groupId !== undefined) raw.groupId = p.policy.groupId;
  if (p.policy.tenantId !== undefined) raw.tenantId = p.policy.tenantId;
  return raw;
}

export function forgeCanonical(p: RawPattern): Uint8Array {
  const w = new Writer().raw(utf8.encode('MLPT')).u16(p.version);
  w.str(p.id).u32(p.embedding.length).f32s(p.embedding);
  w.u32(p.lora.length).raw(p.lora);
  w.f64(p.timestep[0]).f64(p.timestep[1]);
  w.u8(p.tierCode).u8(p.consentByte).str(p.ownerId).opt(p.groupId).opt(p.tenantId);
  w.str(p.originKeyId).f64(p.createdAt).u32(p.parentIds.length);
  for (const parent of p.parentIds) w.str(parent);
  return w.withCrc();
}

const DOMAIN = utf8.encode('microlora/pattern-signature/v1\0');

export async function signCanonical(canonical: Uint8Array, key: SigningKey): Promise<Uint8Array> {
  const hash = new Uint8Array(await subtle.digest('SHA-256', canonical));
  const message = new Uint8Array(DOMAIN.length + hash.length);
  message.set(DOMAIN);
  message.set(hash, DOMAIN.length);
  return new Uint8Array(await subtle.sign({ name: 'Ed25519' }, key.privateKey as webcrypto.CryptoKey, message));
}

export interface RawRecord {
  canonical: Uint8Array;
  metrics: number[];
  signature: Uint8Array;
}

export const METRIC_ORDER = [
  'successRate',
  'feedbackCount',
  'usageCount',
  'avgLatencyMs',
  'denoisingQuality',
  'distinctUsers',
  'lastUsed',
  'createdAt',
] as const;

export function metricsArray(m: PatternMetrics): number[] {
  return METRIC_ORDER.map((f) => m[f]);
}

/** A record for `raw` signed by `origin` (its originKeyId should be origin.keyId for a valid one). */
export async function forgeRecord(raw: RawPattern, origin: SigningKey, metrics: number[]): Promise<RawRecord> {
  const canonical = forgeCanonical(raw);
  return { canonical, metrics, signature: await signCanonical(canonical, origin) };
}

export interface RawBundle {
  version: number;
  exporterKeyId: string;
  createdAt: number;
  tierCode: number;
  group?: string;
  tenant?: string;
  dp?: [number, number, number, number];
  /** Declared count; default records.length. */
  count?: number;
  records: RawRecord[];
}

export function forgeUnsignedBody(b: RawBundle): Uint8Array {
  const w = new Writer().raw(utf8.encode('MLFB')).u16(b.version);
  w.str(b.exporterKeyId).f64(b.createdAt).u8(b.tierCode).opt(b.group).opt(b.tenant);
  if (b.dp === undefined) w.u8(0);
  else w.u8(1).f64(b.dp[0]).f64(b.dp[1]).f64(b.dp[2]).f64(b.dp[3]);
  w.u32(b.count ?? b.records.length);
  for (const r of b.records) {
    w.u32(r.canonical.length).raw(r.canonical);
    for (const v of r.metrics) w.f64(v);
    w.raw(r.signature);
  }
  return w.bytes();
}

/** Signs the body with `signer` (64 zero bytes if null) and appends the CRC. */
export async function forgeBundle(b: RawBundle, signer: CryptoKeyLike | null): Promise<Uint8Array> {
  const body = forgeUnsignedBody(b);
  const signature = signer === null ? new Uint8Array(64) : new Uint8Array(await subtle.sign({ name: 'Ed25519' }, signer as webcrypto.CryptoKey, body));
  const out = new Uint8Array(body.length + 64);
  out.set(body);
  out.set(signature, body.length);
  return appendCrc(out);
}

/** Re-signs a (possibly mutated) bundle's region before its last 68 bytes and fixes its CRC. */
export async function resign(bytes: Uint8Array, signer: CryptoKeyLike): Promise<Uint8Array> {
  const body = bytes.subarray(0, bytes.length - 68);
  const signature = new Uint8Array(await subtle.sign({ name: 'Ed25519' }, signer as webcrypto.CryptoKey, body));
  const out = new Uint8Array(body.length + 64);
  out.set(body);
  out.set(signature, body.length);
  return appendCrc(out);
}
