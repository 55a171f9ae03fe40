import { MicroLoraError, SHARING_TIERS } from '@microlora/core';
import type { Pattern, SharingPolicy, SharingTier } from '@microlora/core';

/** Position of a tier from most (0, private) to least (3, public) restricted. */
export function tierRank(tier: SharingTier): number {
  return SHARING_TIERS.indexOf(tier);
}

export function isSharingTier(value: unknown): value is SharingTier {
  return typeof value === 'string' && (SHARING_TIERS as readonly string[]).includes(value);
}

/** Who receives a bundle: the tier, plus the group / tenant it is addressed to. */
export interface AudienceContext {
  group?: string;
  tenant?: string;
}

/** Why a pattern may not go to an audience. */
export type ShareRefusal = 'private' | 'no-consent' | 'tier-too-low' | 'audience-mismatch';

export type ShareDecision = { allowed: true } | { allowed: false; reason: ShareRefusal; message: string };

const ALLOWED: ShareDecision = { allowed: true };

function refuse(reason: ShareRefusal, message: string): ShareDecision {
  return { allowed: false, reason, message };
}

/**
 * Whether a pattern with `policy` may be sent to the `recipientTier` audience
 * named by `context`, and if not, why. Rules, in order:
 * 1. private never leaves (neither a private pattern nor a "private" audience);
 * 2. anything beyond private needs `consent === true`;
 * 3. the recipient tier must not be wider than the pattern's tier;
 * 4. the audience must be the pattern's own: a group audience needs the pattern's
 *    groupId (or, for a tenant-tier pattern, its tenantId as `context.tenant`);
 *    a tenant audience needs its tenantId. Public patterns go anywhere.
 */
export function shareDecision(policy: SharingPolicy, recipientTier: SharingTier, context: AudienceContext = {}): ShareDecision {
  if (policy.tier === 'private' || recipientTier === 'private') {
    return refuse('private', 'private patterns never leave their owner');
  }
  if (policy.consent !== true) return refuse('no-consent', `the owner has not consented to sharing (tier '${policy.tier}')`);
  if (tierRank(policy.tier) < tierRank(recipientTier)) {
    return refuse('tier-too-low', `tier '${policy.tier}' may not go to a '${recipientTier}' audience`);
  }
  if (policy.tier === 'public') return ALLOWED;
  if (recipientTier === 'tenant' || policy.tier === 'tenant') {
    if (context.tenant === undefined || policy.tenantId !== context.tenant) {
      return refuse('audience-mismatch', `tenant '${String(policy.tenantId)}' is not the audience's tenant '${String(context.tenant)}'`);
    }
    return ALLOWED;
  }
  // A group-tier pattern to a group audience.
  if (context.group === undefined || policy.groupId !== context.group) {
    return refuse('audience-mismatch', `group '${String(policy.groupId)}' is not the audience's group '${String(context.group)}'`);
  }
  if (policy.tenantId !== undefined && context.tenant !== undefined && policy.tenantId !== context.tenant) {
    return refuse('audience-mismatch', `tenant '${policy.tenantId}' is not the audience's tenant '${context.tenant}'`);
  }
  return ALLOWED;
}

/** True when the pattern may be sent to that audience (see shareDecision for the rules). */
export function canShare(pattern: Pick<Pattern, 'policy'>, recipientTier: SharingTier, context: AudienceContext = {}): boolean {
  return shareDecision(pattern.policy, recipientTier, context).allowed;
}

function optionalString(value: unknown): boolean {
  return value === undefined || typeof value === 'string';
}

/** What is wrong with a would-be SharingPolicy, or undefined. */
export function sharingPolicyProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return 'policy must be a SharingPolicy object';
  const p = value as Record<string, unknown>;
  if (!isSharingTier(p.tier)) return `policy.tier ${JSON.stringify(p.tier)} is not one of ${SHARING_TIERS.join(', ')}`;
  if (typeof p.ownerId !== 'string') return 'policy.ownerId must be a string';
  if (!optionalString(p.groupId)) return 'policy.groupId must be a string or absent';
  if (!optionalString(p.tenantId)) return 'policy.tenantId must be a string or absent';
  if (typeof p.consent !== 'boolean') return 'policy.consent must be a boolean';
  return undefined;
}

export function assertSharingPolicy(value: unknown): asserts value is SharingPolicy {
  const problem = sharingPolicyProblem(value);
  if (problem !== undefined) throw new MicroLoraError('INVALID_ARGUMENT', problem, { details: { problem } });
}
