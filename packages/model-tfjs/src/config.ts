import { MicroLoraError, assertInteger } from '@microlora/core';
import { VOCAB_SIZE } from './vocab.js';

/** Shape of the denoiser. The committed model uses DEFAULT_MODEL_CONFIG. */
export interface ModelConfig {
  /** Token vocabulary (PAD, MASK, UNK + characters). */
  readonly vocabSize: number;
  /** Characters per sequence (texts are cut or padded to it). */
  readonly seqLen: number;
  /** Hidden width d. */
  readonly dim: number;
  /** One residual block per entry: a kernel-3 1-D convolution with this dilation, then an MLP. */
  readonly dilations: readonly number[];
  /** MLP hidden width = mlpMult · dim. */
  readonly mlpMult: number;
  /** Sinusoid frequencies of the timestep embedding (features = 1 + 2·timeFrequencies). */
  readonly timeFrequencies: number;
}

export const DEFAULT_MODEL_CONFIG: ModelConfig = {
  vocabSize: VOCAB_SIZE,
  seqLen: 64,
  dim: 96,
  dilations: [1, 2, 4, 8, 16, 1],
  mlpMult: 2,
  timeFrequencies: 8,
};

/** Width of the timestep features fed to the time embedding. */
export function timeFeatureCount(config: ModelConfig): number {
  return 1 + 2 * config.timeFrequencies;
}

/** Writes the timestep features of t ∈ [0, 1] into out at offset: [t, sin(πkt), cos(πkt) for k = 1..K]. */
export function timeFeaturesInto(config: ModelConfig, t: number, out: Float32Array, offset = 0): void {
  out[offset] = t;
  for (let k = 1; k <= config.timeFrequencies; k++) {
    out[offset + 2 * k - 1] = Math.sin(Math.PI * k * t);
    out[offset + 2 * k] = Math.cos(Math.PI * k * t);
  }
}

/** Throws INVALID_ARGUMENT unless `config` is a usable ModelConfig. */
export function assertModelConfig(config: ModelConfig): void {
  if (typeof config !== 'object' || config === null) throw new MicroLoraError('INVALID_ARGUMENT', 'model config must be an object');
  assertInteger('config.vocabSize', config.vocabSize, 4, 4096);
  assertInteger('config.seqLen', config.seqLen, 2, 4096);
  assertInteger('config.dim', config.dim, 2, 4096);
  assertInteger('config.mlpMult', config.mlpMult, 1, 16);
  assertInteger('config.timeFrequencies', config.timeFrequencies, 0, 64);
  if (!Array.isArray(config.dilations) || config.dilations.length === 0 || config.dilations.length > 64) {
    throw new MicroLoraError('INVALID_ARGUMENT', 'config.dilations must be a non-empty array of at most 64 integers');
  }
  config.dilations.forEach((d, i) => assertInteger(`config.dilations[${i}]`, d, 1, config.seqLen - 1));
}

/** Name and shape of every weight tensor, in file order. */
export function weightShapes(config: ModelConfig): Array<[name: string, shape: number[]]> {
  const { vocabSize: v, seqLen: l, dim: d, mlpMult: m } = config;
  const shapes: Array<[string, number[]]> = [
    ['tok', [v, d]],
    ['pos', [l, d]],
    ['time_w', [timeFeatureCount(config), d]],
    ['time_b', [d]],
  ];
  config.dilations.forEach((_, i) => {
    shapes.push(
      [`b${i}.ln_g`, [d]],
      [`b${i}.ln_b`, [d]],
      [`b${i}.conv_w`, [3 * d, d]],
      [`b${i}.conv_b`, [d]],
      [`b${i}.up_w`, [d, m * d]],
      [`b${i}.up_b`, [m * d]],
      [`b${i}.down_w`, [m * d, d]],
      [`b${i}.down_b`, [d]],
    );
  });
  shapes.push(['lnf_g', [d]], ['lnf_b', [d]], ['head_w', [d, d]], ['head_b', [d]], ['out_w', [d, v]], ['out_b', [v]]);
  return shapes;
}

/** Total parameter count. */
export function parameterCount(config: ModelConfig): number {
  return weightShapes(config).reduce((n, [, s]) => n + s.reduce((a, b) => a * b, 1), 0);
}
