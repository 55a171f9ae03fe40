import { SeededRng, loraFromFactors, materializeDelta } from '@microlora/core';
import type { CompressedLora, LoraWeights, QuantScheme } from '@microlora/core';
import { createComposeBuffers, factorAverage, recompress, weightedAverage } from '@microlora/composer';
import type { ComposeItem, ComposeTarget } from '@microlora/composer';
import { compress, decompressInto } from '@microlora/quantization';
import { formatNs, loadBackends, machineDescription, quantile, sampleLatencies, timeOp } from '../harness.js';
import type { BenchSuite, BenchTable, Timing } from '../harness.js';

const D = 768;
const K = 5;
const RANK = 2;

function randomLora(rng: SeededRng, rank: number, n = D, m = D): LoraWeights {
  return loraFromFactors({
    rank,
    inFeatures: n,
    outFeatures: m,
    a: rng.fillNormal(new Float32Array(rank * n), 1 / Math.sqrt(n)),
    b: rng.fillNormal(new Float32Array(rank * m), 0.02),
    alpha: 2 * rank,
  });
}

function cell(t: { p50: number; p99: number }): string {
  return `${formatNs(t.p50)} / ${formatNs(t.p99)}`;
}

function relativeError(x: Float64Array, ref: Float64Array): number {
  let d = 0;
  let n = 0;
  for (let i = 0; i < x.length; i++) {
    d += ((x[i] as number) - (ref[i] as number)) ** 2;
    n += (ref[i] as number) ** 2;
  }
  return Math.sqrt(d / n);
}

/** Factor averaging vs exact stacking for k rank-4 adapters with equal weights, against the float64 Σ wᵢ ΔWᵢ. */
function factorAverageErrors(rng: SeededRng, ks: number[]): (string | number)[][] {
  return ks.map((k) => {
    const items: ComposeItem[] = Array.from({ length: k }, () => ({ lora: randomLora(rng, 4), score: 1 }));
    const reference = new Float64Array(D * D);
    for (const item of items) {
      const delta = materializeDelta(item.lora as LoraWeights);
      for (let j = 0; j < delta.length; j++) reference[j] = (reference[j] as number) + (delta[j] as number) / k;
    }
    const approximate = relativeError(materializeDelta(factorAverage.compose(items)), reference);
    const exact = relativeError(materializeDelta(weightedAverage.compose(items)), reference);
    return [k, approximate.toFixed(3), Math.sqrt((k - 1) / k).toFixed(3), exact.toExponential(1)];
  });
}

interface BankLike {
  insert(input: unknown): unknown;
  retrieve(embedding: Float32Array, k: number): ComposeItem[];
}

/** retrieve(k = 5) + compose on a 10k-pattern flat bank, if @microlora/bank is available. */
async function retrieveAndCompose(
  rng: SeededRng,
  patterns: number,
  count: number,
  target: ComposeTarget,
  log: (m: string) => void,
): Promise<BenchTable | undefined> {
  let Bank: (new (options: Record<string, unknown>) => BankLike) | undefined;
  try {
    const pkg = '@microlora/bank';
    const mod = (await import(pkg)) as { MicroLoraBank?: new (options: Record<string, unknown>) => BankLike };
    Bank = mod.MicroLoraBank;
  } catch {
    return undefined;
  }
  if (typeof Bank !== 'function') return undefined;
  log(`filling a ${patterns}-pattern bank`);
  const bank = new Bank({ timestepRange: [0, 1], maxPatterns: patterns, dimension: D });
  // 64 distinct int8 adapters shared by the patterns: retrieval cost does not depend on adapter contents.
  const pool: CompressedLora[] = Array.from({ length: 64 }, () => compress(randomLora(rng, RANK), 'per-row'));
  const unit = (): Float32Array => {
    const v = rng.fillNormal(new Float32Array(D));
    const norm = Math.hypot(...v);
    return v.map((x) => x / norm);
  };
  for (let i = 0; i < patterns; i++) {
    bank.insert({ id: `p${i}`, embedding: unit(), lora: pool[i % pool.length], timestepRange: [0, 1] });
  }
  const queries = Array.from({ length: 64 }, unit);
  const retrieveOnly = sampleLatencies((i) => bank.retrieve(queries[i % queries.length] as Float32Array, K), count, 10);
  const both = sampleLatencies(
    (i) => weightedAverage.composeInto!(bank.retrieve(queries[i % queries.length] as Float32Array, K), target),
    count,
    10,
  );
  const row = (label: string, ns: number[]): string[] => [label, formatNs(quantile(ns, 0.5)), formatNs(quantile(ns, 0.99))];
  return {
    title: `Retrieve k = ${K} from a ${patterns / 1000}k-pattern bank, then compose (weighted-average, js)`,
    description: `${machineDescription()}. Default bank (exact flat cosine index, 768-d, blended re-ranking); rank-${RANK} int8 per-row adapters; ${count} random unit queries.`,
    columns: ['operation', 'p50', 'p99'],
    rows: [row('retrieve', retrieveOnly), row('retrieve + composeInto', both)],
  };
}

/** Times fn with mitata, or reports why it failed (one broken backend must not sink the suite). */
async function timeCell(fn: () => unknown, ms: number, record: (t: Timing) => void): Promise<string> {
  try {
    const t = await timeOp(fn, ms);
    record(t);
    return cell(t);
  } catch (err) {
    return `failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`;
  }
}

export const composerSuite: BenchSuite = {
  name: 'composer',
  quick: true,
  async run(ctx) {
    const rng = new SeededRng(7);
    const ms = ctx.full ? 500 : 200;
    const data: Record<string, Record<string, Timing>> = {};
    const record = (op: string, backend: string) => (t: Timing) => {
      (data[op] ??= {})[backend] = t;
    };

    // Inputs are built before other backends load, so fixtures never depend on them.
    const f32 = Array.from({ length: K }, () => randomLora(rng, RANK));
    const scores = [0.9, 0.8, 0.75, 0.6, 0.5];
    const itemsOf = (lora: (l: LoraWeights) => CompressedLora | LoraWeights): ComposeItem[] =>
      f32.map((l, i) => ({ lora: lora(l), score: scores[i] as number }));
    const inputs: [string, ComposeItem[]][] = [
      ['int8 per-row', itemsOf((l) => compress(l, 'per-row'))],
      ['int8 per-tensor', itemsOf((l) => compress(l, 'per-tensor' satisfies QuantScheme))],
      ['f32 (copy + scale + finiteness scan)', itemsOf((l) => l)],
    ];
    const composite = weightedAverage.compose(inputs[2]?.[1] ?? []);
    const target = createComposeBuffers({ maxRank: K * RANK, inFeatures: D, outFeatures: D });
    const scratch = { a: new Float32Array(RANK * D), b: new Float32Array(RANK * D) };
    const x = rng.fillNormal(new Float32Array(D));
    const y = new Float32Array(D);

    const backends = await loadBackends(['@microlora/simd-wasm'], ['js', 'wasm']);
    const names = backends.map((b) => b.name);
    const rows: (string | number)[][] = [];
    // Each backend composes into its own buffers: in its arena (WASM memory) when it has one.
    const targets = backends.map((backend) => createComposeBuffers({ maxRank: K * RANK, inFeatures: D, outFeatures: D, backend }));
    const arenaNames = backends.filter((_, i) => targets[i]?.inArena).map((b) => b.name);

    // 1. compose into preallocated buffers (decompression included), and the decompression alone
    for (const [label, items] of inputs) {
      const op = `composeInto, ${label}`;
      const row: (string | number)[] = [op];
      for (const [i, backend] of backends.entries()) {
        ctx.log(`${op} on ${backend.name}`);
        const options = { backend };
        const into = targets[i] as ComposeTarget;
        row.push(await timeCell(() => weightedAverage.composeInto!(items, into, options), ms, record(op, backend.name)));
      }
      rows.push(row);
    }
    // The same into JS-heap buffers, for backends that have an arena: what the arena saves.
    if (arenaNames.length > 0) {
      for (const [label, items] of inputs.slice(0, 2)) {
        const op = `composeInto, ${label}, JS-heap buffers`;
        const row: (string | number)[] = [op];
        for (const backend of backends) {
          if (!arenaNames.includes(backend.name)) {
            row.push('—');
            continue;
          }
          const options = { backend };
          row.push(await timeCell(() => weightedAverage.composeInto!(items, target, options), ms, record(op, backend.name)));
        }
        rows.push(row);
      }
    }
    const perRow = inputs[0]?.[1] ?? [];
    const floorOp = `${K} × decompressInto alone, int8 per-row, into JS-heap scratch (copied in and out on wasm)`;
    const floor: (string | number)[] = [floorOp];
    for (const backend of backends) {
      const options = { aFactor: 0.5, backend };
      const decompressAll = (): void => {
        for (const item of perRow) decompressInto(item.lora as CompressedLora, scratch, options);
      };
      floor.push(await timeCell(decompressAll, ms, record(floorOp, backend.name)));
    }
    rows.push(floor);

    // 2. apply the rank-10 composite once, vs the 5 adapters one by one
    const applyOp = `loraApply, rank-${composite.rank} composite`;
    const separateOp = `loraApply × ${K}, rank-${RANK} adapters separately`;
    const applyOne: (string | number)[] = [applyOp];
    const applySeparate: (string | number)[] = [separateOp];
    for (const backend of backends) {
      ctx.log(`apply on ${backend.name}`);
      applyOne.push(await timeCell(() => backend.loraApply(composite, x, y), ms, record(applyOp, backend.name)));
      const separately = (): void => {
        for (const l of f32) backend.loraApply(l, x, y, 0.2);
      };
      applySeparate.push(await timeCell(separately, ms, record(separateOp, backend.name)));
    }
    rows.push(applyOne, applySeparate);
    // The composite composeInto returns lives in the backend's arena when its buffers do: applied in place.
    const applyIntoOp = `loraApply, rank-${composite.rank} composite from composeInto (int8 per-row)`;
    const applyInto: (string | number)[] = [applyIntoOp];
    for (const [i, backend] of backends.entries()) {
      const fromTarget = weightedAverage.composeInto!(inputs[0]?.[1] ?? [], targets[i] as ComposeTarget, { backend });
      applyInto.push(await timeCell(() => backend.loraApply(fromTarget, x, y), ms, record(applyIntoOp, backend.name)));
    }
    rows.push(applyInto);

    // 3. recompress the rank-10 composite (backend-independent float64 code)
    const recompressNs = sampleLatencies(() => recompress(composite, 4), ctx.full ? 200 : 50, 5);
    rows.push(['recompress rank 10 → 4 (QR + Jacobi SVD, allocates; float64, no backend)', formatNs(quantile(recompressNs, 0.5)), ...names.slice(1).map(() => '—')]);

    // 4. the factor-average error table
    ctx.log('factor-average errors');
    const errorRows = factorAverageErrors(rng, [2, 4, 8]);

    const tables: BenchTable[] = [
      {
        title: `Compose k = ${K} rank-${RANK} ${D}×${D} adapters and apply the composite — p50 / p99 per call`,
        description:
          `${machineDescription()}. weighted-average, exact rank stacking into buffers from createComposeBuffers ` +
          `({ maxRank: ${K * RANK}, backend }): ${arenaNames.length > 0 ? `in the backend's arena (WASM memory) for ${arenaNames.join(', ')}, ` : ''}` +
          'JS-heap Float32Arrays otherwise; int8 inputs decompress straight into the stacked rows with weight × scaling folded in.',
        columns: ['operation', ...names],
        rows,
        notes: [
          'int8 → f32 runs in @microlora/quantization (dequantizeTensorInto per factor, decompressInto\'s dispatch): with a non-js backend it calls dequantizeI8 per scale group of ≥ 128 values (a per-row group is one 768-value row), otherwise its own unrolled JS kernel.',
          'With arena buffers the composer first copies each adapter\'s int8 data into the arena, so every dequantizeI8 call reads and writes WASM memory in place (no staging by the backend), and the composite is applied in place.',
          'Target from the composer brief: compose ≤ 3 µs on the fastest backend.',
        ],
      },
      {
        title: 'Factor averaging (the reference document) vs exact rank stacking — relative Frobenius error of ΔW',
        description: `k random rank-4 ${D}×${D} adapters, equal weights 1/k; reference Σ wᵢ ΔWᵢ in float64 (materializeDelta).`,
        columns: ['k', 'factor-average', 'predicted √((k−1)/k)', 'weighted-average (exact)'],
        rows: errorRows,
      },
    ];
    try {
      const bankTable = await retrieveAndCompose(rng, 10_000, ctx.full ? 300 : 60, target, ctx.log);
      if (bankTable) tables.push(bankTable);
      else tables[0]?.notes?.push('retrieve + compose skipped: @microlora/bank is not available.');
    } catch (err) {
      tables[0]?.notes?.push(`retrieve + compose failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
    }
    for (const t of targets) t.dispose();
    return { tables, data: { ...data, factorAverageError: errorRows } };
  },
};
