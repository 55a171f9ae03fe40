import { Registry } from '@microlora/core';
import type { RegisterOptions } from '@microlora/core';
import type { CompositionStrategy, OptionsFor, StrategyOptionsMap } from './contract.js';
import { assertCompositionStrategy } from './strategy-shape.js';
import { attention } from './strategies/attention.js';
import { factorAverage } from './strategies/factor-average.js';
import { taskArithmetic } from './strategies/task-arithmetic.js';
import { topK } from './strategies/top-k.js';
import { weightedAverage } from './strategies/weighted-average.js';

const strategies = new Registry<CompositionStrategy>('composition strategy');
// One factory per strategy object, so registering the same object twice stays a no-op.
const factories = new WeakMap<CompositionStrategy, () => CompositionStrategy>();

/**
 * Registers a strategy under its `name`. Registering the same object again is a
 * no-op; another object under a taken name is NAME_COLLISION.
 */
export function registerStrategy<N extends string>(
  strategy: CompositionStrategy<OptionsFor<N>> & { readonly name: N },
  options: RegisterOptions = {},
): void {
  assertCompositionStrategy(strategy);
  const plain = strategy as CompositionStrategy;
  let factory = factories.get(plain);
  if (!factory) {
    factory = () => plain;
    factories.set(plain, factory);
  }
  strategies.register(strategy.name, factory, options);
}

/** The registered strategy; NOT_FOUND (listing what is registered) for an unknown name. */
export function getStrategy<N extends keyof StrategyOptionsMap>(name: N): CompositionStrategy<StrategyOptionsMap[N]>;
export function getStrategy(name: string): CompositionStrategy;
export function getStrategy(name: string): CompositionStrategy {
  return strategies.get(name);
}

/** Registered strategy names, highest priority first, then in registration order. */
export function listStrategies(): string[] {
  return strategies.names();
}

/** Removes a strategy; true if it was registered. */
export function unregisterStrategy(name: string): boolean {
  return strategies.unregister(name);
}

// Built-ins live in this package, so the registry starts with them (no import side effect elsewhere).
registerStrategy(weightedAverage, { priority: 1 });
registerStrategy(attention);
registerStrategy(topK);
registerStrategy(taskArithmetic);
registerStrategy(factorAverage, { priority: -1 });
