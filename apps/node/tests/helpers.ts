import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SeededRng, compress, createLora, loraFromFactors, type CompressedLora, type LoraWeights } from 'microlora';
import type { StoreConfig } from '../src/store/manifest.js';

/** Small layout so tests run fast; the code paths are those of 768-d stores. */
export const SMALL: Partial<StoreConfig> = { dimension: 64, hiddenSize: 32, index: 'exact' };

const created: string[] = [];

export async function tempDir(prefix = 'microlora-node-test-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  created.push(dir);
  return dir;
}

export async function removeTempDirs(): Promise<void> {
  await Promise.all(created.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

/** A rank-r adapter like a trained one (B ≠ 0), seeded. */
export function trainedLora(hiddenSize: number, seed: number, rank = 2): LoraWeights {
  const rng = new SeededRng(seed);
  const fresh = createLora({ rank, inFeatures: hiddenSize, outFeatures: hiddenSize, seed });
  return loraFromFactors({ ...fresh, b: rng.fillNormal(new Float32Array(rank * hiddenSize), 0.05) });
}

export function compressedLora(hiddenSize: number, seed: number, rank = 2): CompressedLora {
  return compress(trainedLora(hiddenSize, seed, rank), 'per-row');
}

/** y = h + s·B(A h) in float64 from the rank-major factors. */
export function referenceApply(lora: LoraWeights, h: ArrayLike<number>): Float64Array {
  const { rank, inFeatures: n, outFeatures: m, a, b, scaling } = lora;
  const y = Float64Array.from(h as ArrayLike<number>);
  for (let r = 0; r < rank; r++) {
    let dot = 0;
    for (let i = 0; i < n; i++) dot += (a[r * n + i] as number) * (h[i] as number);
    for (let o = 0; o < m; o++) y[o] = (y[o] as number) + scaling * (b[r * m + o] as number) * dot;
  }
  return y;
}
