import { afterEach, describe, expect, it } from 'vitest';
import { isMicroLoraError } from '@microlora/core';
import type { MicroLoraErrorCode } from '@microlora/core';
import {
  defineExactStrategy,
  factorAverage,
  getStrategy,
  listStrategies,
  registerStrategy,
  unregisterStrategy,
  weightedAverage,
} from '@microlora/composer';
import type { CompositionStrategy } from '@microlora/composer';

function codeOf(fn: () => unknown): MicroLoraErrorCode | undefined {
  try {
    fn();
  } catch (err) {
    if (isMicroLoraError(err)) return err.code;
    throw err;
  }
  return undefined;
}

const uniform = defineExactStrategy({ name: 'test-uniform', weightsInto: (items, _o, out) => out.fill(1 / items.length, 0, items.length) });

describe('strategy registry', () => {
  afterEach(() => {
    unregisterStrategy('test-uniform');
  });

  it('starts with the built-ins, weighted-average first and the legacy factor-average last', () => {
    expect(listStrategies()).toEqual(['weighted-average', 'attention', 'top-k', 'task-arithmetic', 'factor-average']);
    expect(getStrategy('weighted-average')).toBe(weightedAverage);
    expect(getStrategy('factor-average')).toBe(factorAverage);
    expect(listStrategies().filter((n) => getStrategy(n).exact)).toEqual(['weighted-average', 'attention', 'top-k', 'task-arithmetic']);
  });

  it('registers a plugin; the same object again is a no-op, another object under a taken name is NAME_COLLISION', () => {
    registerStrategy(uniform);
    registerStrategy(uniform);
    expect(getStrategy('test-uniform')).toBe(uniform);
    const impostor = defineExactStrategy({ name: 'test-uniform', weightsInto: (_i, _o, out) => out.fill(0) });
    expect(codeOf(() => registerStrategy(impostor))).toBe('NAME_COLLISION');
    expect(codeOf(() => registerStrategy({ ...weightedAverage }))).toBe('NAME_COLLISION');
    expect(getStrategy('test-uniform')).toBe(uniform);
    expect(unregisterStrategy('test-uniform')).toBe(true);
    registerStrategy(impostor);
    expect(getStrategy('test-uniform')).toBe(impostor);
  });

  it('NOT_FOUND lists what is registered', () => {
    try {
      getStrategy('nope');
      expect.unreachable();
    } catch (err) {
      expect(isMicroLoraError(err, 'NOT_FOUND')).toBe(true);
      expect((err as Error).message).toContain('weighted-average');
    }
  });

  it('rejects malformed plugins with INVALID_ARGUMENT, including an exact strategy without weights()', () => {
    const compose = weightedAverage.compose;
    const bad: unknown[] = [
      null,
      { name: '', exact: true, compose, weights: weightedAverage.weights },
      { name: 'x', compose },
      { name: 'x', exact: false },
      { name: 'x', exact: false, compose, composeInto: 3 },
      { name: 'x', exact: true, compose },
    ];
    for (const b of bad) expect(codeOf(() => registerStrategy(b as CompositionStrategy))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => defineExactStrategy({ name: '', weightsInto: () => undefined }))).toBe('INVALID_ARGUMENT');
    expect(listStrategies()).not.toContain('x');
  });
});
