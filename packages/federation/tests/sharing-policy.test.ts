import { describe, expect, it } from 'vitest';
import { SHARING_TIERS } from '@microlora/core';
import type { SharingPolicy, SharingTier } from '@microlora/core';
import { DEFAULT_PROMOTION_RULES, canShare, promote, shareDecision } from '@microlora/federation';
import type { PromotionRules } from '@microlora/federation';
import { NOW, makePattern } from './helpers/fixtures.js';

const policy = (tier: SharingTier, extra: Partial<SharingPolicy> = {}): SharingPolicy => ({ tier, ownerId: 'u', consent: true, groupId: 'g1', tenantId: 't1', ...extra });

describe('canShare', () => {
  it('follows the tier order for a pattern in the audience (rows: pattern tier, columns: recipient tier)', () => {
    const context = { group: 'g1', tenant: 't1' };
    const table = SHARING_TIERS.map((tier) => SHARING_TIERS.map((recipient) => canShare({ policy: policy(tier) }, recipient, context)));
    expect(table).toStrictEqual([
      // private  group  tenant public   ← recipient
      [false, false, false, false], // private
      [false, true, false, false], // group
      [false, true, true, false], // tenant
      [false, true, true, true], // public
    ]);
  });

  it('never shares without consent, whatever the tier claims', () => {
    for (const tier of SHARING_TIERS) {
      for (const recipient of SHARING_TIERS) {
        expect(canShare({ policy: policy(tier, { consent: false }) }, recipient, { group: 'g1', tenant: 't1' })).toBe(false);
      }
    }
    expect(shareDecision(policy('public', { consent: false }), 'public')).toMatchObject({ allowed: false, reason: 'no-consent' });
  });

  it('keeps group and tenant patterns inside their own group and tenant', () => {
    expect(shareDecision(policy('group'), 'group', { group: 'g2' })).toMatchObject({ allowed: false, reason: 'audience-mismatch' });
    expect(shareDecision(policy('group'), 'group', {})).toMatchObject({ allowed: false, reason: 'audience-mismatch' });
    expect(shareDecision(policy('group'), 'group', { group: 'g1', tenant: 't2' })).toMatchObject({ allowed: false, reason: 'audience-mismatch' });
    expect(canShare({ policy: policy('group', { tenantId: undefined }) }, 'group', { group: 'g1', tenant: 't9' })).toBe(true);
    expect(shareDecision(policy('tenant'), 'tenant', { tenant: 't2' })).toMatchObject({ allowed: false, reason: 'audience-mismatch' });
    expect(shareDecision(policy('tenant'), 'group', { group: 'g9' })).toMatchObject({ allowed: false, reason: 'audience-mismatch' });
    expect(canShare({ policy: policy('tenant') }, 'group', { group: 'g9', tenant: 't1' })).toBe(true);
    expect(canShare({ policy: policy('public', { tenantId: undefined, groupId: undefined }) }, 'tenant', { tenant: 'any' })).toBe(true);
    expect(shareDecision(policy('group', { groupId: undefined }), 'group', { group: 'g1' })).toMatchObject({ allowed: false });
  });

  it('names the reason', () => {
    expect(shareDecision(policy('private'), 'group', { group: 'g1' })).toMatchObject({ allowed: false, reason: 'private' });
    expect(shareDecision(policy('public'), 'private')).toMatchObject({ allowed: false, reason: 'private' });
    expect(shareDecision(policy('group'), 'public')).toMatchObject({ allowed: false, reason: 'tier-too-low' });
    expect(shareDecision(policy('public'), 'public')).toStrictEqual({ allowed: true });
  });
});

describe('promote', () => {
  const HOUR = 3_600_000;
  const rules: PromotionRules = {
    group: { minDistinctUsers: 2, minAgeMs: HOUR },
    tenant: { minDistinctUsers: 5, minAgeMs: 24 * HOUR },
    public: { minDistinctUsers: 50, minAgeMs: 7 * 24 * HOUR },
  };
  function candidate(users: number, ageMs: number, p: Partial<SharingPolicy> = {}) {
    const pattern = makePattern({ id: 'p', createdAt: NOW - ageMs, policy: { tier: 'private', groupId: 'g', tenantId: 't', ...p } });
    pattern.metrics.distinctUsers = users;
    return pattern;
  }

  it('returns the widest tier whose users and age requirements are met', () => {
    expect(promote(candidate(1, 100 * 24 * HOUR), rules, NOW)).toBe('private');
    expect(promote(candidate(2, HOUR), rules, NOW)).toBe('group');
    expect(promote(candidate(2, HOUR - 1), rules, NOW)).toBe('private');
    expect(promote(candidate(5, 24 * HOUR), rules, NOW)).toBe('tenant');
    expect(promote(candidate(49, 30 * 24 * HOUR), rules, NOW)).toBe('tenant');
    expect(promote(candidate(50, 7 * 24 * HOUR), rules, NOW)).toBe('public');
  });

  it('never goes beyond consent: without it the answer is private, and maxTier caps it', () => {
    expect(promote(candidate(1000, 365 * 24 * HOUR, { consent: false }), rules, NOW)).toBe('private');
    expect(promote(candidate(1000, 365 * 24 * HOUR, { consent: false, tier: 'public' }), rules, NOW)).toBe('private');
    expect(promote(candidate(1000, 365 * 24 * HOUR), { ...rules, maxTier: 'group' }, NOW)).toBe('group');
    expect(promote(candidate(0, 0, { tier: 'public' }), { ...rules, maxTier: 'tenant' }, NOW)).toBe('tenant');
  });

  it('needs an audience id for group and tenant, and never narrows a consented tier', () => {
    expect(promote(candidate(5, 24 * HOUR, { groupId: undefined, tenantId: undefined }), rules, NOW)).toBe('private');
    expect(promote(candidate(5, 24 * HOUR, { tenantId: undefined }), rules, NOW)).toBe('group');
    expect(promote(candidate(0, 0, { tier: 'tenant' }), rules, NOW)).toBe('tenant');
  });

  it('a pattern from the future has no age', () => {
    expect(promote(candidate(1000, -HOUR), rules, NOW)).toBe('private');
  });

  it('validates rules and time', () => {
    const p = candidate(1, 1);
    expect(() => promote(p, { ...rules, group: { minDistinctUsers: -1, minAgeMs: 0 } }, NOW)).toThrow(expect.objectContaining({ code: 'OUT_OF_RANGE' }));
    expect(() => promote(p, { ...rules, maxTier: 'world' as SharingTier }, NOW)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => promote(p, DEFAULT_PROMOTION_RULES, Number.NaN)).toThrow(expect.objectContaining({ code: 'NON_FINITE' }));
    expect(() => promote({ ...p, policy: { ...p.policy, tier: 'world' as SharingTier } }, rules, NOW)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});
