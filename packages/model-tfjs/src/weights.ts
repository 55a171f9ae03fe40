import { ByteWriter, MicroLoraError, SeededRng, openContainer, findNonFinite, type Seed } from '@microlora/core';
import { assertModelConfig, weightShapes, type ModelConfig } from './config.js';

/** Every weight of the denoiser by name (see weightShapes), row-major float32. */
export interface ModelWeights {
  readonly config: ModelConfig;
  readonly tensors: ReadonlyMap<string, { readonly shape: readonly number[]; readonly data: Float32Array }>;
}

const FORMAT = { magic: 'MLDM', version: 1, what: 'diffusion model weights' };

/**
 * Fresh weights: matrices ~ N(0, 1/fan_in) (the residual down-projections scaled
 * by 1/√blocks), biases 0, layer-norm gains 1, embeddings N(0, 0.02²·…). Seeded.
 */
export function initWeights(config: ModelConfig, seed: Seed = 1): ModelWeights {
  assertModelConfig(config);
  const rng = new SeededRng(seed);
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, shape] of weightShapes(config)) {
    const size = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(size);
    const leaf = name.slice(name.lastIndexOf('.') + 1);
    if (leaf.endsWith('_g')) data.fill(1);
    else if (shape.length === 2) {
      let std = 1 / Math.sqrt(shape[0] as number);
      if (name === 'tok' || name === 'pos') std = 0.3;
      if (leaf === 'down_w') std /= Math.sqrt(config.dilations.length);
      for (let i = 0; i < size; i++) data[i] = rng.normal() * std;
    }
    tensors.set(name, { shape, data });
  }
  return { config, tensors };
}

/**
 * Compact file: config JSON, then every tensor in weightShapes order. Matrices are
 * int8 with one float32 scale per output column (symmetric, round to nearest);
 * vectors stay float32. CRC-32 checked. `quantize: false` keeps everything float32.
 */
export function encodeWeights(weights: ModelWeights, options: { quantize?: boolean } = {}): Uint8Array {
  const quantize = options.quantize ?? true;
  const w = new ByteWriter(FORMAT, 1 << 20);
  w.string(JSON.stringify(weights.config));
  w.u8(quantize ? 1 : 0);
  for (const [name, shape] of weightShapes(weights.config)) {
    const t = weights.tensors.get(name);
    if (t === undefined || t.data.length !== shape.reduce((a, b) => a * b, 1)) {
      throw new MicroLoraError('DIMENSION_MISMATCH', `weight ${name} is missing or not of shape [${shape.join(', ')}]`);
    }
    const bad = findNonFinite(t.data);
    if (bad >= 0) throw new MicroLoraError('NON_FINITE', `weight ${name}[${bad}] is ${t.data[bad]}`);
    if (!quantize || shape.length === 1) {
      w.align(4);
      w.f32s(t.data);
      continue;
    }
    const [rows, cols] = shape as [number, number];
    const scales = new Float32Array(cols);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) scales[c] = Math.max(scales[c] as number, Math.abs(t.data[r * cols + c] as number));
    }
    for (let c = 0; c < cols; c++) scales[c] = (scales[c] as number) > 0 ? (scales[c] as number) / 127 : 1;
    w.align(4);
    w.f32s(scales);
    const q = new Uint8Array(rows * cols);
    const qs = new Int8Array(q.buffer);
    for (let i = 0; i < rows * cols; i++) qs[i] = Math.max(-127, Math.min(127, Math.round((t.data[i] as number) / (scales[i % cols] as number))));
    w.bytes(q);
  }
  return w.finish();
}

/** Reads encodeWeights' bytes; CORRUPT_DATA / UNSUPPORTED_VERSION on a damaged or foreign file. */
export function decodeWeights(bytes: Uint8Array): ModelWeights {
  const r = openContainer(bytes, FORMAT);
  let config: ModelConfig;
  try {
    config = JSON.parse(r.string('config')) as ModelConfig;
    assertModelConfig(config);
  } catch (cause) {
    throw new MicroLoraError('CORRUPT_DATA', 'diffusion model weights: the config is not valid', { cause });
  }
  const quantized = r.u8('quantized flag') === 1;
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, shape] of weightShapes(config)) {
    const size = shape.reduce((a, b) => a * b, 1);
    r.align(4, name);
    if (!quantized || shape.length === 1) {
      tensors.set(name, { shape, data: r.f32s(size, name) });
      continue;
    }
    const cols = shape[1] as number;
    const scales = r.f32s(cols, `${name} scales`);
    const q = r.bytes(size, name);
    const qs = new Int8Array(q.buffer, q.byteOffset, q.byteLength);
    const data = new Float32Array(size);
    for (let i = 0; i < size; i++) data[i] = (qs[i] as number) * (scales[i % cols] as number);
    tensors.set(name, { shape, data });
  }
  r.expectEnd();
  for (const [name, t] of tensors) {
    const bad = findNonFinite(t.data);
    if (bad >= 0) throw new MicroLoraError('CORRUPT_DATA', `diffusion model weights: ${name}[${bad}] is ${t.data[bad]}`);
  }
  return { config, tensors };
}
