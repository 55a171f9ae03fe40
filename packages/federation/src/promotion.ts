import { MicroLoraError, assertFiniteNumber } from '@microlora/core';
import type { Pattern, SharingTier } from '@microlora/core';
import { assertSharingPolicy, isSharingTier, tierRank } from './sharing-policy.js';

/** What a pattern needs before it may be shared at a tier. */
export interface TierRequirement {
  /** metrics.distinctUsers must be at least this. */
  minDistinctUsers: number;
  /** now − provenance.createdAt must be at least this many ms. */
  minAgeMs: number;
}

export interface PromotionRules {
  group: TierRequirement;
  tenant: TierRequirement;
  public: TierRequirement;
  /** Widest tier the owner agreed to (default 'public'); promotion never goes past it. */
  maxTier?: SharingTier;
}

const HOUR = 3_600_000;

/** A conservative default: a few users and a day before a tenant sees it, many users and a week before the world does. */
export const DEFAULT_PROMOTION_RULES: Readonly<PromotionRules> = Object.freeze({
  group: Object.freeze({ minDistinctUsers: 2, minAgeMs: HOUR }),
  tenant: Object.freeze({ minDistinctUsers: 5, minAgeMs: 24 * HOUR }),
  public: Object.freeze({ minDistinctUsers: 50, minAgeMs: 7 * 24 * HOUR }),
  maxTier: 'public',
});

const PROMOTABLE = ['public', 'tenant', 'group'] as const;

function assertRules(rules: PromotionRules): void {
  if (typeof rules !== 'object' || rules === null) {
    throw new MicroLoraError('INVALID_ARGUMENT', 'rules must be PromotionRules (see DEFAULT_PROMOTION_RULES)');
  }
  for (const tier of PROMOTABLE) {
    const requirement = rules[tier] as TierRequirement | undefined;
    if (typeof requirement !== 'object' || requirement === null) {
      throw new MicroLoraError('INVALID_ARGUMENT', `rules.${tier} must be { minDistinctUsers, minAgeMs }`);
    }
    assertFiniteNumber(`rules.${tier}.minDistinctUsers`, requirement.minDistinctUsers, 0);
    assertFiniteNumber(`rules.${tier}.minAgeMs`, requirement.minAgeMs, 0);
  }
  if (rules.maxTier !== undefined && !isSharingTier(rules.maxTier)) {
    throw new MicroLoraError('INVALID_ARGUMENT', `rules.maxTier ${JSON.stringify(rules.maxTier)} is not a sharing tier`);
  }
}

function meets(pattern: Pattern, tier: (typeof PROMOTABLE)[number], requirement: TierRequirement, now: number): boolean {
  if (tier === 'group' && pattern.policy.groupId === undefined) return false;
  if (tier === 'tenant' && pattern.policy.tenantId === undefined) return false;
  const age = now - pattern.provenance.createdAt;
  return pattern.metrics.distinctUsers >= requirement.minDistinctUsers && age >= requirement.minAgeMs;
}

/**
 * The widest tier the pattern may have now: 'private' without consent (private
 * never leaves); otherwise the wider of its current tier and the widest tier
 * whose requirement it meets (group needs a groupId, tenant a tenantId), capped
 * at `rules.maxTier`. Promotion never narrows a consented tier except to the cap.
 * Changing the tier changes the content hash: sign the pattern again after.
 * `rules` may be DEFAULT_PROMOTION_RULES.
 */
export function promote(pattern: Pattern, rules: PromotionRules, now: number): SharingTier {
  assertRules(rules);
  assertFiniteNumber('now', now);
  assertSharingPolicy(pattern.policy);
  if (pattern.policy.consent !== true) return 'private';
  let qualified: SharingTier = 'private';
  for (const tier of PROMOTABLE) {
    if (meets(pattern, tier, rules[tier], now)) {
      qualified = tier;
      break;
    }
  }
  const wider = tierRank(qualified) > tierRank(pattern.policy.tier) ? qualified : pattern.policy.tier;
  const cap = rules.maxTier ?? 'public';
  return tierRank(wider) > tierRank(cap) ? cap : wider;
}
