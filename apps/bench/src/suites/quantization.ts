import { SeededRng, loraFromFactors } from '@microlora/core';
import type { CompressedLora, LoraWeights, QuantScheme } from '@microlora/core';
import {
  QUANT_SCHEMES,
  byteSize,
  compress,
  decodeBinary,
  decodeJson,
  decompress,
  decompressInto,
  encodeBinary,
  encodeJson,
  relativeFrobeniusError,
} from '@microlora/quantization';
import { getBackend } from '@microlora/simd';
import type { SimdOps } from '@microlora/simd';
import { formatNs, loadBackends, machineDescription, timeOp } from '../harness.js';
import type { BenchSuite, BenchTable, Timing } from '../harness.js';

const D = 768;
const RANK = 2;
/** Adapters a composed request decompresses (the composer's default k). */
const PER_REQUEST = 5;

/**
 * A trained-like adapter: both factors Gaussian and non-zero, each rank row with
 * its own magnitude (log-uniform over a 4× span). Same recipe as the package's
 * tests/fixtures.ts, so the error table matches what the tests assert.
 */
function realisticLora(seed: number, rank: number, n = D, m = D): LoraWeights {
  const rng = new SeededRng(seed);
  const a = new Float32Array(rank * n);
  const b = new Float32Array(rank * m);
  for (let r = 0; r < rank; r++) {
    const aStd = Math.exp(rng.uniform(Math.log(0.25), 0)) / Math.sqrt(n);
    const bStd = 0.02 * Math.exp(rng.uniform(Math.log(0.25), 0));
    rng.fillNormal(a.subarray(r * n, (r + 1) * n), aStd);
    rng.fillNormal(b.subarray(r * m, (r + 1) * m), bStd);
  }
  return loraFromFactors({ rank, inFeatures: n, outFeatures: m, a, b, alpha: 2 * rank });
}

/** The adapter in its plainest form: both factors i.i.d. Gaussian (tests/fixtures.ts gaussianLora). */
function gaussianLora(seed: number, rank: number, n = D, m = D): LoraWeights {
  const rng = new SeededRng(seed);
  return loraFromFactors({
    rank,
    inFeatures: n,
    outFeatures: m,
    a: rng.fillNormal(new Float32Array(rank * n), 1 / Math.sqrt(n)),
    b: rng.fillNormal(new Float32Array(rank * m), 0.02),
    alpha: 2 * rank,
  });
}

const cell = (t: Timing): string => `${formatNs(t.p50)} / ${formatNs(t.p99)}`;
const percent = (x: number): string => `${(100 * x).toFixed(2)}%`;

interface ErrorStats {
  mean: number;
  max: number;
}

function errorStats(scheme: QuantScheme, rank: number, seeds: number, make = realisticLora, firstSeed = 1): ErrorStats {
  let sum = 0;
  let max = 0;
  for (let seed = firstSeed; seed < firstSeed + seeds; seed++) {
    const lora = make(seed, rank);
    const e = relativeFrobeniusError(lora, compress(lora, scheme));
    sum += e;
    max = Math.max(max, e);
  }
  return { mean: sum / seeds, max };
}

export const quantizationSuite: BenchSuite = {
  name: 'quantization',
  quick: true,
  async run(ctx) {
    const minMs = ctx.full ? 400 : 100;
    const seeds = ctx.full ? 100 : 24;
    const backend = getBackend();
    const lora = realisticLora(1, RANK);
    const requestLoras = Array.from({ length: PER_REQUEST }, (_, k) => realisticLora(100 + k, RANK));
    // The composer's stacked rank-10 buffers: adapter k goes to rows [2k, 2k+2).
    const stackedA = new Float32Array(PER_REQUEST * RANK * D);
    const stackedB = new Float32Array(PER_REQUEST * RANK * D);
    const target = { a: new Float32Array(RANK * D), b: new Float32Array(RANK * D) };

    const timings: Record<string, Record<string, Timing>> = {};
    const compressed = new Map<QuantScheme, CompressedLora>();
    const requests = new Map<QuantScheme, CompressedLora[]>();
    for (const scheme of QUANT_SCHEMES) {
      const c = compress(lora, scheme);
      compressed.set(scheme, c);
      const bytes = encodeBinary(c);
      const json = encodeJson(c);
      const request = requestLoras.map((l) => compress(l, scheme));
      requests.set(scheme, request);
      const stacked = { a: stackedA, b: stackedB };
      const offsets = request.map((_, k) => ({ aFactor: 0.2 * (k + 1), aOffset: k * RANK * D, bOffset: k * RANK * D }));
      const ops: [string, () => unknown][] = [
        ['compress', () => compress(lora, scheme, { backend })],
        ['decompress (allocates)', () => decompress(c, { backend })],
        ['decompressInto', () => decompressInto(c, target, { aFactor: 0.5 })],
        [
          `decompressInto × ${PER_REQUEST} (one request, stacked)`,
          () => {
            for (let k = 0; k < PER_REQUEST; k++) decompressInto(request[k] as CompressedLora, stacked, offsets[k]);
          },
        ],
        ['encodeBinary', () => encodeBinary(c)],
        ['decodeBinary', () => decodeBinary(bytes)],
        ['encodeJson', () => encodeJson(c)],
        ['decodeJson', () => decodeJson(json)],
      ];
      for (const [label, fn] of ops) {
        ctx.log(`${label} ${scheme}`);
        (timings[label] ??= {})[scheme] = await timeOp(fn, minMs);
      }
    }

    const speed: BenchTable = {
      title: `int8 compression of a rank-${RANK} ${D}×${D} adapter — p50 / p99 per call`,
      description:
        `${machineDescription()}. Backend for compress/decompress: ${backend.name}. ` +
        `decompressInto here runs the built-in allocation-free kernel (no backend passed; per backend below), writing A·aFactor and Bᵀ. ` +
        `The × ${PER_REQUEST} row is what the composer does per request: ${PER_REQUEST} rank-${RANK} adapters into one stacked rank-${PER_REQUEST * RANK} buffer via aOffset/bOffset.`,
      columns: ['op', ...QUANT_SCHEMES],
      rows: Object.entries(timings).map(([label, perScheme]) => [
        label,
        ...QUANT_SCHEMES.map((s) => cell(perScheme[s] as Timing)),
      ]),
    };

    const f32Bytes = RANK * 2 * D * 4;
    const errors: Record<
      string,
      { gauss2: ErrorStats; gauss4: ErrorStats; rank2: ErrorStats; rank4: ErrorStats; bytes: number; jsonBytes: number }
    > = {};
    for (const scheme of QUANT_SCHEMES) {
      ctx.log(`errors ${scheme}`);
      const c = compressed.get(scheme) as CompressedLora;
      errors[scheme] = {
        // Seeds 101… are the ones the package's acceptance test uses.
        gauss2: errorStats(scheme, 2, seeds, gaussianLora, 101),
        gauss4: errorStats(scheme, 4, seeds, gaussianLora, 101),
        rank2: errorStats(scheme, 2, seeds),
        rank4: errorStats(scheme, 4, seeds),
        bytes: byteSize(c),
        jsonBytes: new TextEncoder().encode(encodeJson(c)).length,
      };
    }
    const quality: BenchTable = {
      title: `Size and ΔW error per scheme (${D}×${D})`,
      description:
        `Relative Frobenius error ‖ΔW − ΔŴ‖/‖ΔW‖ of ΔW = s·B·A after a round trip, mean (max) over ${seeds} seeded adapters. ` +
        `"Gaussian": both factors i.i.d. Gaussian and non-zero (the acceptance case: per-row ≤ 1.1%). ` +
        `"spread rows": each rank row also with its own magnitude (log-uniform over 4×), a harder case. ` +
        `f32 size of the rank-${RANK} factors: ${f32Bytes} bytes. grouped uses 64 values per scale.`,
      columns: [
        'scheme',
        `binary bytes (rank ${RANK})`,
        'vs f32',
        `JSON bytes (rank ${RANK})`,
        'ΔW error, Gaussian, rank 2',
        'ΔW error, Gaussian, rank 4',
        'ΔW error, spread rows, rank 2',
        'ΔW error, spread rows, rank 4',
      ],
      rows: QUANT_SCHEMES.map((s) => {
        const e = errors[s] as (typeof errors)[string];
        return [
          s,
          e.bytes,
          `${(f32Bytes / e.bytes).toFixed(2)}× smaller`,
          e.jsonBytes,
          `${percent(e.gauss2.mean)} (${percent(e.gauss2.max)})`,
          `${percent(e.gauss4.mean)} (${percent(e.gauss4.max)})`,
          `${percent(e.rank2.mean)} (${percent(e.rank2.max)})`,
          `${percent(e.rank4.mean)} (${percent(e.rank4.max)})`,
        ];
      }),
      notes: [
        'int8 stores 1 byte per value where f32 stores 4: the ratio is ~4× (minus header, scales and CRC), not 32×.',
        'per-row on Gaussian rows sits at the uniform-rounding floor ≈ √2 · E[max|x|/σ] / (127·√12) ≈ 1.05–1.1%.',
      ],
    };

    // decompressInto through each SIMD backend other than js (js is replaced by the built-in kernel).
    const backends = (await loadBackends(['@microlora/simd-wasm'])).filter((b) => b.name !== 'js');
    const backendRows: (string | number)[][] = [];
    const backendData: Record<string, Record<string, Timing>> = {};
    for (const scheme of QUANT_SCHEMES) {
      const c = compressed.get(scheme) as CompressedLora;
      const request = requests.get(scheme) as CompressedLora[];
      const stacked = { a: stackedA, b: stackedB };
      for (const [label, make] of [
        ['decompressInto', (b?: SimdOps) => () => decompressInto(c, target, { aFactor: 0.5, ...(b ? { backend: b } : {}) })],
        [
          `× ${PER_REQUEST} stacked`,
          (b?: SimdOps) => {
            const options = request.map((_, k) => ({
              aFactor: 0.2 * (k + 1),
              aOffset: k * RANK * D,
              bOffset: k * RANK * D,
              ...(b ? { backend: b } : {}),
            }));
            return () => {
              for (let k = 0; k < PER_REQUEST; k++) decompressInto(request[k] as CompressedLora, stacked, options[k]);
            };
          },
        ],
      ] as const) {
        const row: (string | number)[] = [`${scheme} ${label}`];
        for (const b of [undefined, ...backends]) {
          const name = b?.name ?? 'kernel';
          ctx.log(`${scheme} ${label} on ${name}`);
          const t = await timeOp(make(b), minMs);
          (backendData[`${scheme} ${label}`] ??= {})[name] = t;
          row.push(cell(t));
        }
        backendRows.push(row);
      }
    }
    const perBackend: BenchTable = {
      title: 'decompressInto: built-in kernel vs SimdOps.dequantizeI8 per backend — p50 / p99',
      description:
        `Rank-${RANK} ${D}×${D} adapters. With a backend, decompressInto calls dequantizeI8 once per group of ≥ 128 values ` +
        `through cached views; groups of 64 (grouped) and the js backend use the kernel. ` +
        `"× ${PER_REQUEST} stacked" = one composed request (${PER_REQUEST} adapters into a rank-${PER_REQUEST * RANK} buffer).`,
      columns: ['op', 'built-in kernel', ...backends.map((b) => b.name)],
      rows: backendRows,
      ...(backends.length === 0 ? { notes: ['No SIMD backend besides js loaded (build @microlora/simd-wasm to compare).'] } : {}),
    };

    return {
      tables: [speed, quality, perBackend],
      data: { timings, errors, backends: backendData, seeds },
    };
  },
};
