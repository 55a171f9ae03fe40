import { MicroLoraError } from '@microlora/core';
import type { LoraWeights } from '@microlora/core';
import { assertComposeTarget } from './buffers.js';
import { assertWeights, exactTarget, missingShape, stackInto, stackedRank } from './compose-exact.js';
import type { ComposeItem, ComposeOptions, ComposeTarget, ExactCompositionStrategy } from './contract.js';
import { validateComposeItems } from './items.js';

/** What an exact strategy is: a name and a rule for the per-item weights. */
export interface ExactStrategyDefinition<O extends ComposeOptions = ComposeOptions> {
  readonly name: string;
  readonly description?: string;
  /**
   * Writes wᵢ for every item into `out[0 … items.length)` (`out` may be longer and
   * holds stale values). Items are already validated: shared shape, finite
   * scores. Throw MicroLoraError for bad options; never allocate on this path.
   */
  weightsInto(items: readonly ComposeItem[], options: O | undefined, out: Float64Array): void;
}

/**
 * Builds a complete exact strategy — `weights`, `compose` and the
 * allocation-free `composeInto` — from its weight rule. Every composite is
 * Σ wᵢ ΔWᵢ by rank stacking, so the kit's exactness cases hold by construction.
 */
export function defineExactStrategy<O extends ComposeOptions = ComposeOptions>(
  definition: ExactStrategyDefinition<O>,
): ExactCompositionStrategy<O> {
  const { name } = definition;
  if (typeof name !== 'string' || name.length === 0) {
    throw new MicroLoraError('INVALID_ARGUMENT', 'a strategy needs a non-empty string name');
  }
  if (typeof definition.weightsInto !== 'function') {
    throw new MicroLoraError('INVALID_ARGUMENT', `strategy "${name}" needs a weightsInto(items, options, out) function`);
  }
  const who = `strategy "${name}"`;

  const computeWeights = (items: readonly ComposeItem[], options: O | undefined, out: Float64Array): Float64Array => {
    definition.weightsInto(items, options, out);
    assertWeights(out, items.length, who);
    return out;
  };

  return {
    name,
    exact: true,
    ...(definition.description === undefined ? {} : { description: definition.description }),
    weights(items: readonly ComposeItem[], options?: O): Float64Array {
      validateComposeItems(items, options);
      return computeWeights(items, options, new Float64Array(items.length));
    },
    compose(items: readonly ComposeItem[], options?: O): LoraWeights {
      const shape = validateComposeItems(items, options);
      if (shape === undefined) throw missingShape(who);
      const weights = computeWeights(items, options, new Float64Array(items.length));
      return stackInto(items, weights, exactTarget(stackedRank(items, weights), shape), options?.backend);
    },
    composeInto(items: readonly ComposeItem[], target: ComposeTarget, options?: O): LoraWeights {
      assertComposeTarget(target);
      validateComposeItems(items, target);
      const scratch = target.weights.length >= items.length ? target.weights : new Float64Array(items.length);
      const weights = computeWeights(items, options, scratch);
      return stackInto(items, weights, target, options?.backend);
    },
  };
}
