import { MicroLoraError, assertFiniteNumber } from '@microlora/core';
import type { Pattern, SharingTier } from '@microlora/core';
import { decodeBase64 } from './base64.js';
import { writeBundle } from './bundle-format.js';
import type { Audience, BundleRecord } from './bundle-format.js';
import { canonicalPatternBytes } from './canonical-pattern.js';
import { dpRecordOf, normalSource, privatizeCompressed } from './differential-privacy.js';
import type { DpOptions, DpRecord } from './differential-privacy.js';
import { toHex } from './hex.js';
import { assertPatternContent, assertWireString, metricsProblem } from './pattern-validation.js';
import { signCanonicalBytes } from './provenance.js';
import { isSharingTier, shareDecision } from './sharing-policy.js';
import type { ShareRefusal } from './sharing-policy.js';
import { assertSigningKey } from './signing-key.js';
import type { SigningKey } from './signing-key.js';
import { SIGNATURE_BYTES, sha256 } from './webcrypto.js';

export interface ExportOptions {
  /** The audience: 'group' needs `group`, 'tenant' needs `tenant`; 'private' is refused. */
  recipientTier: SharingTier;
  group?: string;
  tenant?: string;
  /** Signs the bundle, and re-signs patterns this exporter originated (or noised). */
  signingKey: SigningKey;
  /** Gaussian-mechanism noise on every exported adapter's weights. */
  dp?: DpOptions;
  /** ms since the epoch; default Date.now(). */
  now?: number;
}

/**
 * Why a pattern was left out: a sharing refusal, or `unsigned` (no signature and
 * another origin) / `stale-signature` (changed since its origin signed it).
 */
export type WithheldReason = ShareRefusal | 'unsigned' | 'stale-signature';

export interface ExportStats {
  exported: number;
  withheld: number;
  withheldByReason: Record<WithheldReason, number>;
  /** Ids left out and why (local information; never written to the bundle). */
  withheldIds: { id: string; reason: WithheldReason }[];
  /** Patterns signed by this exporter during the export (its own unsigned or changed ones, and every noised one). */
  signedByExporter: number;
  dp: DpRecord | null;
  bytes: number;
}

export interface ExportResult {
  bytes: Uint8Array;
  stats: ExportStats;
}

function audienceOf(options: ExportOptions): Audience {
  const { recipientTier, group, tenant } = options;
  if (!isSharingTier(recipientTier)) {
    throw new MicroLoraError('INVALID_ARGUMENT', `recipientTier ${JSON.stringify(recipientTier)} is not group, tenant or public`);
  }
  if (recipientTier === 'private') {
    throw new MicroLoraError('POLICY_VIOLATION', "recipientTier 'private' is refused: private patterns never leave their owner");
  }
  if (group !== undefined) assertWireString('group', group);
  if (tenant !== undefined) assertWireString('tenant', tenant);
  if (recipientTier === 'group' && group === undefined) {
    throw new MicroLoraError('INVALID_ARGUMENT', "a 'group' bundle needs options.group (the receiving group's id)");
  }
  if (recipientTier === 'tenant' && tenant === undefined) {
    throw new MicroLoraError('INVALID_ARGUMENT', "a 'tenant' bundle needs options.tenant (the receiving tenant's id)");
  }
  const audience: Audience = { tier: recipientTier };
  if (group !== undefined) audience.group = group;
  if (tenant !== undefined) audience.tenant = tenant;
  return audience;
}

/** The origin's signature when it still covers this content, else undefined. */
async function standingSignature(pattern: Pattern, canonical: Uint8Array): Promise<Uint8Array | 'stale' | undefined> {
  const { signature, contentHash } = pattern.provenance;
  if (signature === undefined) return undefined;
  if (contentHash !== toHex(await sha256(canonical))) return 'stale';
  try {
    const raw = decodeBase64(signature, 'provenance.signature');
    return raw.length === SIGNATURE_BYTES ? raw : 'stale';
  } catch {
    return 'stale';
  }
}

/**
 * Builds a signed bundle of the patterns this audience may receive (layout and
 * rules in the README). Patterns the policy forbids are left out and counted in
 * `stats`, never written. Without `dp` each pattern keeps its origin's
 * signature (this exporter signs those it originated if they are unsigned or
 * changed); with `dp` every adapter is clipped, noised, re-quantised and
 * re-signed by this exporter as origin, and (ε, δ) is recorded in the bundle.
 * Malformed patterns throw (INVALID_ARGUMENT, NON_FINITE, …); a repeated id throws DUPLICATE_ID.
 */
export async function exportBundle(patterns: Iterable<Pattern>, options: ExportOptions): Promise<ExportResult> {
  if (typeof options !== 'object' || options === null) {
    throw new MicroLoraError('INVALID_ARGUMENT', 'exportBundle needs { recipientTier, signingKey, … }');
  }
  const audience = audienceOf(options);
  const key = options.signingKey;
  assertSigningKey(key);
  const now = options.now ?? Date.now();
  assertFiniteNumber('now', now);
  const dp = options.dp === undefined ? null : dpRecordOf(options.dp);
  const noise = options.dp === undefined ? null : normalSource(options.dp.seed);
  const stats: ExportStats = {
    exported: 0,
    withheld: 0,
    withheldByReason: { private: 0, 'no-consent': 0, 'tier-too-low': 0, 'audience-mismatch': 0, unsigned: 0, 'stale-signature': 0 },
    withheldIds: [],
    signedByExporter: 0,
    dp,
    bytes: 0,
  };
  const withhold = (id: string, reason: WithheldReason): void => {
    stats.withheld++;
    stats.withheldByReason[reason]++;
    stats.withheldIds.push({ id, reason });
  };
  const ids = new Set<string>();
  const records: BundleRecord[] = [];
  for (const pattern of patterns) {
    assertPatternContent(pattern);
    const problem = metricsProblem(pattern.metrics);
    if (problem !== undefined) throw new MicroLoraError(problem.code, `pattern ${JSON.stringify(pattern.id)} ${problem.message}`);
    if (ids.has(pattern.id)) {
      throw new MicroLoraError('DUPLICATE_ID', `pattern id ${JSON.stringify(pattern.id)} appears twice; ids must be unique in a bundle`);
    }
    ids.add(pattern.id);
    const decision = shareDecision(pattern.policy, audience.tier, audience);
    if (!decision.allowed) {
      withhold(pattern.id, decision.reason);
      continue;
    }
    let content: Pattern = pattern;
    if (dp !== null && noise !== null) {
      const { originKeyId: _origin, contentHash: _hash, signature: _signature, ...rest } = pattern.provenance;
      content = { ...pattern, lora: privatizeCompressed(pattern.lora, dp, noise), provenance: { ...rest, originKeyId: key.keyId } };
    }
    const canonical = canonicalPatternBytes(content);
    let signature = dp === null ? await standingSignature(content, canonical) : undefined;
    if (signature === undefined || signature === 'stale') {
      if (content.provenance.originKeyId !== key.keyId) {
        withhold(pattern.id, signature === 'stale' ? 'stale-signature' : 'unsigned');
        continue;
      }
      signature = (await signCanonicalBytes(canonical, key)).signature;
      stats.signedByExporter++;
    }
    records.push({ canonical, metrics: pattern.metrics, signature });
    stats.exported++;
  }
  const bytes = await writeBundle({ exporterKeyId: key.keyId, createdAt: now, audience, dp }, records, key.privateKey);
  stats.bytes = bytes.length;
  return { bytes, stats };
}
