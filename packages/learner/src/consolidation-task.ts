import {
  MicroLoraError,
  assertFiniteNumber,
  assertInteger,
  isCompressedLora,
  type CompressedLora,
  type LoraWeights,
  type Pattern,
  type SeededRng,
} from '@microlora/core';
import { decompress } from '@microlora/quantization';
import { getBackend, type SimdOps } from '@microlora/simd';

/**
 * What a BaseLoRA is trained to reproduce: a stream of (input, target) pairs
 * where the target is the adapter delta wanted for that input.
 */
export interface ConsolidationTask {
  readonly inFeatures: number;
  readonly outFeatures: number;
  /** Writes one training pair drawn with `rng` into `input` and `target` (both overwritten). */
  sample(rng: SeededRng, input: Float32Array, target: Float32Array): void;
}

/** Fills `input` with a probe input for distilling a pattern (default: N(0, I)). */
export type ProbeInput = (rng: SeededRng, input: Float32Array, pattern: LoraWeights, index: number) => void;

export interface DistillationOptions {
  /**
   * Relative weight of each source (default: a Pattern's metrics.successRate
   * — better adapters count more — and 1 for bare adapters).
   */
  weights?: readonly number[];
  /**
   * Probe inputs for a source (e.g. inputs near the queries it served). With a
   * probe, each sample picks one source (probability ∝ weight) and targets its
   * delta on the probe. Default: x ~ N(0, I) targeting the weighted MEAN delta of
   * all sources, whose expected squared error is ‖ΔW_base − mean ΔW‖²_F.
   */
  probe?: ProbeInput;
  /** Backend for the targets' LoRA applies; default getBackend(). */
  backend?: SimdOps;
}

/**
 * A task that distils harvested patterns (or any adapters) into a BaseLoRA
 * (see DistillationOptions.probe for how samples are drawn); targets are exact
 * deltas of the decompressed factors.
 */
export function patternDistillationTask(
  sources: readonly (Pattern | CompressedLora | LoraWeights)[],
  options: DistillationOptions = {},
): ConsolidationTask {
  if (!Array.isArray(sources) || sources.length === 0) {
    throw new MicroLoraError('INVALID_ARGUMENT', 'patternDistillationTask needs a non-empty array of patterns or adapters');
  }
  if (typeof options !== 'object' || options === null) throw new MicroLoraError('INVALID_ARGUMENT', 'options must be an object');
  const backend = options.backend ?? getBackend();
  const adapters: LoraWeights[] = sources.map((source, i) => {
    if (typeof source !== 'object' || source === null) {
      throw new MicroLoraError('INVALID_ARGUMENT', `sources[${i}] is not a pattern or an adapter`);
    }
    const lora = 'embedding' in source && 'metrics' in source ? source.lora : source;
    return isCompressedLora(lora) ? decompress(lora, { backend }) : lora;
  });
  const first = adapters[0] as LoraWeights;
  for (let i = 1; i < adapters.length; i++) {
    const a = adapters[i] as LoraWeights;
    if (a.inFeatures !== first.inFeatures || a.outFeatures !== first.outFeatures) {
      throw new MicroLoraError(
        'DIMENSION_MISMATCH',
        `sources[${i}] maps ${a.inFeatures}→${a.outFeatures} but sources[0] maps ${first.inFeatures}→${first.outFeatures}`,
      );
    }
  }
  const weights =
    options.weights ??
    sources.map((source) => ('embedding' in source && 'metrics' in source ? source.metrics.successRate : 1));
  if (!Array.isArray(weights) || weights.length !== adapters.length) {
    throw new MicroLoraError('DIMENSION_MISMATCH', `weights has ${String((weights as unknown[]).length)} entries for ${adapters.length} sources`);
  }
  const cumulative = new Float64Array(adapters.length);
  let total = 0;
  weights.forEach((w, i) => {
    assertFiniteNumber(`weights[${i}]`, w, 0);
    total += w;
    cumulative[i] = total;
  });
  if (total === 0) throw new MicroLoraError('OUT_OF_RANGE', 'every source weight is 0; at least one must be positive');
  const probe = options.probe;
  if (probe === undefined) {
    // Probes independent of the source: the target can be the weighted mean of every
    // source's delta, which has the same minimiser without the noise of picking one.
    const shares = weights.map((w) => w / total);
    const scratch = new Float32Array(first.outFeatures);
    return {
      inFeatures: first.inFeatures,
      outFeatures: first.outFeatures,
      sample(rng, input, target) {
        rng.fillNormal(input);
        target.fill(0);
        adapters.forEach((adapter, i) => {
          const share = shares[i] as number;
          if (share === 0) return;
          scratch.fill(0);
          backend.loraApply(adapter, input, scratch);
          backend.axpy(share, scratch, target);
        });
      },
    };
  }
  if (typeof probe !== 'function') throw new MicroLoraError('INVALID_ARGUMENT', 'probe must be a function (rng, input, pattern, index) => void');
  return {
    inFeatures: first.inFeatures,
    outFeatures: first.outFeatures,
    sample(rng, input, target) {
      const pick = rng.next() * total;
      let index = 0;
      while (index < cumulative.length - 1 && (cumulative[index] as number) <= pick) index++;
      const adapter = adapters[index] as LoraWeights;
      probe(rng, input, adapter, index);
      target.fill(0);
      backend.loraApply(adapter, input, target);
    },
  };
}

/** A task of explicit (input, target) pairs, cycled in a seeded random order. */
export function sampleConsolidationTask(inputs: readonly Float32Array[], targets: readonly Float32Array[]): ConsolidationTask {
  if (!Array.isArray(inputs) || inputs.length === 0 || !Array.isArray(targets) || targets.length !== inputs.length) {
    throw new MicroLoraError('INVALID_ARGUMENT', 'inputs and targets must be non-empty arrays of the same length');
  }
  const n = (inputs[0] as Float32Array).length;
  const m = (targets[0] as Float32Array).length;
  assertInteger('inFeatures', n, 1, Number.MAX_SAFE_INTEGER);
  assertInteger('outFeatures', m, 1, Number.MAX_SAFE_INTEGER);
  inputs.forEach((x, i) => {
    if (!(x instanceof Float32Array) || x.length !== n) throw new MicroLoraError('DIMENSION_MISMATCH', `inputs[${i}] must be a Float32Array of length ${n}`);
  });
  targets.forEach((t, i) => {
    if (!(t instanceof Float32Array) || t.length !== m) throw new MicroLoraError('DIMENSION_MISMATCH', `targets[${i}] must be a Float32Array of length ${m}`);
  });
  return {
    inFeatures: n,
    outFeatures: m,
    sample(rng, input, target) {
      const i = rng.int(inputs.length);
      input.set(inputs[i] as Float32Array);
      target.set(targets[i] as Float32Array);
    },
  };
}
