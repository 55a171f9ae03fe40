import { MicroLoraError, Registry, type RegisterOptions } from '@microlora/core';
import type { InterpolationOptionsFor, InterpolationOptionsMap, InterpolationStrategy } from './contract.js';
import { discrete } from './discrete.js';
import { linear } from './linear.js';
import { softBoundary } from './soft-boundary.js';

const interpolations = new Registry<InterpolationStrategy>('interpolation strategy');
// One factory per strategy object, so registering the same object twice stays a no-op.
const factories = new WeakMap<InterpolationStrategy, () => InterpolationStrategy>();

/** Throws INVALID_ARGUMENT unless `strategy` has the shape of an InterpolationStrategy. */
export function assertInterpolationStrategy(strategy: unknown): asserts strategy is InterpolationStrategy {
  const s = strategy as Partial<Record<keyof InterpolationStrategy, unknown>> | null;
  if (typeof s !== 'object' || s === null) {
    throw new MicroLoraError('INVALID_ARGUMENT', 'an interpolation strategy must be an object { name, defaultK, bankWeightsInto }');
  }
  if (typeof s.name !== 'string' || s.name.length === 0) {
    throw new MicroLoraError('INVALID_ARGUMENT', 'an interpolation strategy needs a non-empty string name');
  }
  if (typeof s.bankWeightsInto !== 'function') {
    throw new MicroLoraError('INVALID_ARGUMENT', `interpolation strategy "${s.name}" needs a bankWeightsInto(t, layout, options, out) function`);
  }
  if (typeof s.defaultK !== 'number' || !Number.isInteger(s.defaultK) || s.defaultK < 1) {
    throw new MicroLoraError('INVALID_ARGUMENT', `interpolation strategy "${s.name}" needs an integer defaultK ≥ 1, got ${String(s.defaultK)}`);
  }
  if (s.validateOptions !== undefined && typeof s.validateOptions !== 'function') {
    throw new MicroLoraError('INVALID_ARGUMENT', `interpolation strategy "${s.name}": validateOptions must be a function when given`);
  }
}

/**
 * Registers an interpolation strategy under its `name`. The same object again is
 * a no-op; another object under a taken name is NAME_COLLISION.
 */
export function registerInterpolation<N extends string>(
  strategy: InterpolationStrategy<InterpolationOptionsFor<N>> & { readonly name: N },
  options: RegisterOptions = {},
): void {
  assertInterpolationStrategy(strategy);
  const plain = strategy as InterpolationStrategy;
  let factory = factories.get(plain);
  if (!factory) {
    factory = () => plain;
    factories.set(plain, factory);
  }
  interpolations.register(strategy.name, factory, options);
}

/** The registered strategy; NOT_FOUND (listing what is registered) for an unknown name. */
export function getInterpolation<N extends keyof InterpolationOptionsMap>(
  name: N,
): InterpolationStrategy<InterpolationOptionsMap[N]>;
export function getInterpolation(name: string): InterpolationStrategy;
export function getInterpolation(name: string): InterpolationStrategy {
  return interpolations.get(name);
}

/** Registered names, highest priority first, then in registration order. */
export function listInterpolations(): string[] {
  return interpolations.names();
}

/** Removes a strategy; true if it was registered. */
export function unregisterInterpolation(name: string): boolean {
  return interpolations.unregister(name);
}

// Built-ins live in this package, so the registry starts with them.
registerInterpolation(discrete, { priority: 1 });
registerInterpolation(linear);
registerInterpolation(softBoundary);
