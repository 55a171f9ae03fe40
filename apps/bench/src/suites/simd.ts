import { SeededRng, createLora, loraFromFactors } from '@microlora/core';
import type { LoraWeights } from '@microlora/core';
import { getBackend } from '@microlora/simd';
import type { SimdOps } from '@microlora/simd';
import { formatNs, loadBackends, machineDescription, timeOp } from '../harness.js';
import type { BenchSuite, BenchTable } from '../harness.js';

function randomLora(rng: SeededRng, rank: number, n: number, m: number): LoraWeights {
  const base = createLora({ rank, inFeatures: n, outFeatures: m, seed: rng.nextU32() });
  return loraFromFactors({ ...base, b: rng.fillNormal(new Float32Array(rank * m), 0.02) });
}

export const simdSuite: BenchSuite = {
  name: 'simd',
  quick: true,
  async run(ctx) {
    const rng = new SeededRng(1);
    // js first: every other backend is reported as a ratio against it
    const backends = await loadBackends();
    const js = getBackend('js');
    const n768 = rng.fillNormal(new Float32Array(768));
    const m768 = rng.fillNormal(new Float32Array(768));
    const y768 = new Float32Array(768);
    const q3072 = new Int8Array(3072).map(() => rng.int(256) - 128);
    const f3072 = new Float32Array(3072);
    const x4096 = rng.fillNormal(new Float32Array(4096));
    const y4096 = new Float32Array(4096);
    const loras = new Map<string, LoraWeights>([
      ['loraApply 768 r1', randomLora(rng, 1, 768, 768)],
      ['loraApply 768 r2', randomLora(rng, 2, 768, 768)],
      ['loraApply 768 r4', randomLora(rng, 4, 768, 768)],
      ['loraApply 4096 r2', randomLora(rng, 2, 4096, 4096)],
    ]);
    const cases: [string, (b: SimdOps) => () => unknown][] = [
      ['dot 768', (b) => () => b.dot(n768, m768)],
      ['axpy 768', (b) => () => b.axpy(1e-3, n768, y768)],
      ['softmax 768', (b) => () => b.softmax(n768, y768)],
      ['dequantizeI8 3072', (b) => () => b.dequantizeI8(q3072, 0.01, f3072)],
      ['quantizeI8 3072', (b) => () => b.quantizeI8(f3072, 0.01, q3072)],
    ];
    for (const [label, lora] of loras) {
      const big = lora.inFeatures === 4096;
      cases.push([label, (b) => () => b.loraApply(lora, big ? x4096 : n768, big ? y4096 : y768)]);
    }
    const names = backends.map((b) => b.name);
    const rows: (string | number)[][] = [];
    const data: Record<string, Record<string, { p50: number; p99: number }>> = {};
    for (const [label, make] of cases) {
      const row: (string | number)[] = [label];
      let jsP50 = Number.NaN;
      for (const b of backends) {
        ctx.log(`${label} on ${b.name}`);
        const t = await timeOp(make(b), ctx.full ? 500 : 200);
        (data[label] ??= {})[b.name] = { p50: t.p50, p99: t.p99 };
        if (b === js) jsP50 = t.p50;
        const ratio = b === js ? '' : ` (${(jsP50 / t.p50).toFixed(1)}× js)`;
        row.push(`${formatNs(t.p50)} / ${formatNs(t.p99)}${ratio}`);
      }
      rows.push(row);
    }
    const table: BenchTable = {
      title: 'SIMD ops per backend — p50 / p99 per call',
      description: `${machineDescription()}. Random Gaussian inputs; LoRA factors both non-zero; y += s·B(A x) into a preallocated buffer.`,
      columns: ['op', ...names],
      rows,
    };
    return { tables: [table], data };
  },
};
