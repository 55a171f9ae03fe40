import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { StoreConfig } from '../store/manifest.js';
import { UsageError } from './usage-error.js';

/** The option declarations parseArgs takes. */
export type OptionsConfig = NonNullable<ParseArgsConfig['options']>;
/** What parseCommandLine returns for options T. */
export type ParsedCommandLine<T extends OptionsConfig> = ReturnType<typeof parseArgs<{ args: string[]; options: T; allowPositionals: true; strict: true }>>;

/** node:util parseArgs (strict), with its errors turned into UsageError. */
export function parseCommandLine<T extends OptionsConfig>(args: readonly string[], options: T, allowPositionals = false): ParsedCommandLine<T> {
  try {
    return parseArgs({ args: [...args], options, allowPositionals: allowPositionals as true, strict: true });
  } catch (cause) {
    throw new UsageError(cause instanceof Error ? cause.message : String(cause));
  }
}

export function integerOption(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be an integer in [${min}, ${max}], got ${JSON.stringify(value)}`);
  }
  return n;
}

export function numberOption(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be a number in [${min}, ${max}], got ${JSON.stringify(value)}`);
  }
  return n;
}

const UNITS: Readonly<Record<string, number>> = { '': 1, b: 1, k: 1024, kb: 1024, kib: 1024, m: 1 << 20, mb: 1 << 20, mib: 1 << 20, g: 1 << 30, gb: 1 << 30, gib: 1 << 30 };

/** "1048576", "512k", "1mb", "64MiB" → bytes. */
export function bytesOption(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value);
  const unit = UNITS[(match?.[2] ?? '?').toLowerCase()];
  const n = match === null || unit === undefined ? Number.NaN : Math.round(Number(match[1]) * unit);
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be a size in bytes in [${min}, ${max}] (e.g. 1048576, 512k, 1mb), got ${JSON.stringify(value)}`);
  }
  return n;
}

/** Options that fix a new data directory's layout (checked against an existing one). */
export const STORE_CONFIG_OPTIONS = {
  dimension: { type: 'string' },
  'hidden-size': { type: 'string' },
  'max-patterns': { type: 'string' },
  index: { type: 'string' },
  boundaries: { type: 'string' },
} as const;

export const STORE_CONFIG_HELP = `Settings of a NEW data directory (an existing one keeps its own; giving a different value is an error):
  --dimension N         embedding length of the hashing embedder (default 768)
  --hidden-size N       adapters are N → N (default 768)
  --max-patterns N      capacity of each timestep bank, least recently used evicted (default 10000)
  --index fast|exact    fast: Hamming index (approximate); exact: flat index (default fast)
  --boundaries LIST     timestep bank boundaries, e.g. 0,0.5,1 (default 0,0.333…,0.666…,1)`;

export function storeConfigFrom(values: {
  dimension?: string | undefined;
  'hidden-size'?: string | undefined;
  'max-patterns'?: string | undefined;
  index?: string | undefined;
  boundaries?: string | undefined;
}): Partial<StoreConfig> {
  const config: Partial<StoreConfig> = {};
  const dimension = integerOption('dimension', values.dimension, 1, 1 << 16);
  if (dimension !== undefined) config.dimension = dimension;
  const hiddenSize = integerOption('hidden-size', values['hidden-size'], 1, 1 << 16);
  if (hiddenSize !== undefined) config.hiddenSize = hiddenSize;
  const maxPatterns = integerOption('max-patterns', values['max-patterns'], 1, 1 << 28);
  if (maxPatterns !== undefined) config.maxPatternsPerBank = maxPatterns;
  if (values.index !== undefined) {
    if (values.index !== 'fast' && values.index !== 'exact') throw new UsageError(`--index must be fast or exact, got ${JSON.stringify(values.index)}`);
    config.index = values.index;
  }
  if (values.boundaries !== undefined) {
    const list = values.boundaries.split(',').map((s) => Number(s.trim()));
    if (list.length < 2 || list.some((v) => !Number.isFinite(v) || v < 0 || v > 1)) {
      throw new UsageError(`--boundaries must be comma-separated numbers in [0, 1] from 0 to 1, got ${JSON.stringify(values.boundaries)}`);
    }
    config.boundaries = list;
  }
  return config;
}

export const DEFAULT_DATA_DIR = './microlora-data';

export function dataDirFrom(value: string | undefined): string {
  return value ?? process.env.MICROLORA_DATA_DIR ?? DEFAULT_DATA_DIR;
}
