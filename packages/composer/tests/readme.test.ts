// The README's example and strategy template, verbatim (the last test checks that),
// so the documented code really runs and the template really passes the kit.
// #region example
import { SeededRng, loraFromFactors } from '@microlora/core';
import { compress } from '@microlora/quantization';
import { createComposeBuffers, getStrategy } from '@microlora/composer'; // built-ins are registered

const rng = new SeededRng(42);
const random = (rank: number) => loraFromFactors({ rank, inFeatures: 768, outFeatures: 768,
  a: rng.fillNormal(new Float32Array(rank * 768), 0.03), b: rng.fillNormal(new Float32Array(rank * 768), 0.02) });
// What a bank's retrieve() returns: int8 adapters with scores.
const items = [0.9, 0.7, 0.4].map((score, i) => ({ lora: compress(random(i + 1)), score }));

const strategy = getStrategy('weighted-average');
const composite = strategy.compose(items); // ΔW′ = Σ (sᵢ/Σs)·ΔWᵢ exactly
console.log(composite.rank, composite.scaling); // 6 1 — ranks 1 + 2 + 3 stacked

const target = createComposeBuffers({ maxRank: 16, inFeatures: 768, outFeatures: 768 }); // once
const perRequest = strategy.composeInto!(items, target); // no factor buffers allocated
console.log(perRequest.a.buffer === target.a.buffer); // true
// #endregion
// #region template
import { assertFiniteNumber } from '@microlora/core';
import { defineExactStrategy, registerStrategy } from '@microlora/composer';
import type { ComposeOptions } from '@microlora/composer';

export interface MaxScoreOptions extends ComposeOptions {
  /** Weight of the best item; the rest share 1 − bestWeight equally. Default 0.5. */
  bestWeight?: number;
}

export const maxScore = defineExactStrategy<MaxScoreOptions>({
  name: 'max-score',
  description: 'the best-scored item gets bestWeight, the others share the rest',
  weightsInto(items, options, out) {
    const best = options?.bestWeight ?? 0.5;
    assertFiniteNumber('max-score option bestWeight', best, 0, 1);
    let top = 0;
    for (let i = 1; i < items.length; i++) if (items[i]!.score > items[top]!.score) top = i;
    const rest = items.length > 1 ? (1 - best) / (items.length - 1) : 0;
    for (let i = 0; i < items.length; i++) out[i] = i === top ? (items.length > 1 ? best : 1) : rest;
  },
});

registerStrategy(maxScore);
// #endregion
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { strategyConformanceCases } from '@microlora/composer/testkit';

describe('README', () => {
  it('example: ranks 1 + 2 + 3 stack to 6 with scaling 1; composeInto writes into the target', () => {
    expect([composite.rank, composite.scaling]).toEqual([6, 1]);
    expect(perRequest.a.buffer).toBe(target.a.buffer);
  });

  describe('template strategy passes the conformance kit', () => {
    for (const c of strategyConformanceCases(maxScore, { options: { bestWeight: 0.7 } })) {
      it.skipIf(c.skip !== undefined)(c.name, c.run);
    }
  });

  it('shows exactly the code of this file', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const self = readFileSync(new URL(import.meta.url), 'utf8');
    for (const region of ['example', 'template']) {
      const code = self.split(`// #region ${region}\n`)[1]!.split('// #endregion')[0]!;
      expect(readme).toContain('```ts\n' + code + '```');
    }
  });
});
