// Third-party strategies written ONLY against the public API (the package and its
// /testkit subpath), registered, typed through the option map, and run through the kit.
import { describe, expect, it } from 'vitest';
import { MicroLoraError, assertFiniteNumber } from '@microlora/core';
import {
  composeExact,
  createComposeBuffers,
  defineExactStrategy,
  getStrategy,
  listStrategies,
  registerStrategy,
  validateComposeItems,
} from '@microlora/composer';
import type { ComposeItem, ComposeOptions, ComposeTarget, ExactCompositionStrategy } from '@microlora/composer';
import { fixtureLora, strategyConformanceCases } from '@microlora/composer/testkit';
import { denseDelta, relativeError, weightedSum } from './reference.js';

// ── 1. A weight rule handed to defineExactStrategy (the README template's way). ──
interface ScoreSquaredOptions extends ComposeOptions {
  /** Exponent of the scores. Default 2. */
  power?: number;
}

const scoreSquared = defineExactStrategy<ScoreSquaredOptions>({
  name: 'score-squared',
  description: 'wᵢ ∝ |sᵢ|^power, normalised; uniform when every score is 0',
  weightsInto(items, options, out) {
    const power = options?.power ?? 2;
    assertFiniteNumber('score-squared option power', power, 0.1, 16);
    let sum = 0;
    for (let i = 0; i < items.length; i++) sum += out[i] = Math.abs(items[i]!.score) ** power;
    for (let i = 0; i < items.length; i++) out[i] = sum > 0 ? out[i]! / sum : 1 / items.length;
  },
});

// ── 2. Written by hand from the building blocks (validateComposeItems + composeExact). ──
interface RecencyWeightedOptions extends ComposeOptions {
  /** Age of each item in ms (same order as items). Default: all 0. */
  ages?: readonly number[];
  /** Half-life of the recency decay in ms. Default 60 000. */
  halfLifeMs?: number;
}

function recencyWeights(items: readonly ComposeItem[], options: RecencyWeightedOptions = {}): Float64Array {
  const halfLife = options.halfLifeMs ?? 60_000;
  assertFiniteNumber('recency-weighted option halfLifeMs', halfLife, Number.MIN_VALUE);
  const ages = options.ages ?? [];
  if (options.ages !== undefined && ages.length !== items.length) {
    throw new MicroLoraError('DIMENSION_MISMATCH', `recency-weighted: ${ages.length} ages for ${items.length} items`);
  }
  const w = new Float64Array(items.length);
  let sum = 0;
  items.forEach((item, i) => {
    const age = ages[i] ?? 0;
    assertFiniteNumber(`recency-weighted option ages[${i}]`, age, 0);
    w[i] = Math.max(item.score, 0) * 2 ** (-age / halfLife);
    sum += w[i]!;
  });
  return sum > 0 ? w.map((x) => x / sum) : w.fill(items.length ? 1 / items.length : 0);
}

const recencyWeighted: ExactCompositionStrategy<RecencyWeightedOptions> = {
  name: 'recency-weighted',
  exact: true,
  weights(items, options) {
    validateComposeItems(items, options);
    return recencyWeights(items, options);
  },
  compose(items, options) {
    validateComposeItems(items, options);
    return composeExact(items, recencyWeights(items, options), options);
  },
  composeInto(items: readonly ComposeItem[], target: ComposeTarget, options?: RecencyWeightedOptions) {
    validateComposeItems(items, target);
    return composeExact(items, recencyWeights(items, options), { ...options, target });
  },
};

declare module '@microlora/composer' {
  interface StrategyOptionsMap {
    'score-squared': ScoreSquaredOptions;
    'recency-weighted': RecencyWeightedOptions;
  }
}

registerStrategy(scoreSquared);
registerStrategy(recencyWeighted);

describe.each<[string, ComposeOptions & Record<string, unknown>]>([
  ['score-squared', {}],
  ['score-squared', { power: 0.5 }],
  ['recency-weighted', {}],
  ['recency-weighted', { halfLifeMs: 1 }],
])('third-party %s %o passes the conformance kit', (name, options) => {
  for (const c of strategyConformanceCases(getStrategy(name), { options })) {
    it.skipIf(c.skip !== undefined)(c.name, c.run);
  }
});

describe('third-party strategies through the registry', () => {
  it('are listed and typed by the augmented option map', () => {
    expect(listStrategies()).toEqual(expect.arrayContaining(['score-squared', 'recency-weighted']));
    const typed = getStrategy('recency-weighted');
    const items = [0, 1, 2, 3].map((i) => ({ lora: fixtureLora(70 + i, 1 + (i % 3)), score: 1 }));
    const options = { ages: [0, 1000, 2000, 3000], halfLifeMs: 1000 };
    const composite = typed.compose(items, options);
    const expected = [8, 4, 2, 1].map((x) => x / 15);
    expect(relativeError(denseDelta(composite), weightedSum(items, expected))).toBeLessThan(1e-5);
    // @ts-expect-error — the augmented map types the options: halfLifeMs is a number
    expect(() => typed.compose(items, { halfLifeMs: 'soon' })).toThrow(MicroLoraError);
    const target = createComposeBuffers({ maxRank: 8, inFeatures: 24, outFeatures: 16 });
    expect(typed.composeInto!(items, target, options).a.buffer).toBe(target.a.buffer);
  });

  it('score-squared weighs by squared score; bad options and bad ages are coded errors', () => {
    const items = [0.2, -0.4, 0.4].map((score, i) => ({ lora: fixtureLora(80 + i, 2), score }));
    expect(Array.from(getStrategy('score-squared').weights!(items))).toEqual([1 / 9, 4 / 9, 4 / 9].map((w) => expect.closeTo(w, 12)));
    expect(() => scoreSquared.compose(items, { power: 100 })).toThrow(MicroLoraError);
    expect(() => recencyWeighted.compose(items, { ages: [1, 2] })).toThrow(/2 ages for 3 items/);
  });
});
