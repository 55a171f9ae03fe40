import { MicroLoraError } from '@microlora/core';
import type { CompositionStrategy } from './contract.js';

/** What is wrong with `value` as a CompositionStrategy, or undefined if it has the contract's shape. */
export function compositionStrategyProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return 'must be an object';
  const s = value as Partial<Record<string, unknown>>;
  if (typeof s.name !== 'string' || s.name.length === 0) return 'needs a non-empty string name';
  if (typeof s.exact !== 'boolean') return 'needs a boolean `exact`';
  if (typeof s.compose !== 'function') return 'needs a compose(items, options) function';
  if (s.composeInto !== undefined && typeof s.composeInto !== 'function') return 'has a composeInto that is not a function';
  if (s.exact && typeof s.weights !== 'function') {
    return "claims exact: true, so it must expose weights(items, options): Float64Array (the wᵢ of ΔW' = Σ wᵢ ΔWᵢ)";
  }
  return undefined;
}

/** Throws INVALID_ARGUMENT unless `strategy` has the plugin contract's shape. */
export function assertCompositionStrategy(strategy: unknown): asserts strategy is CompositionStrategy {
  const problem = compositionStrategyProblem(strategy);
  if (problem !== undefined) {
    const name = (strategy as { name?: unknown } | null)?.name;
    const label = typeof name === 'string' && name.length > 0 ? ` "${name}"` : '';
    throw new MicroLoraError('INVALID_ARGUMENT', `composition strategy${label} ${problem}`, { details: { name } });
  }
}
