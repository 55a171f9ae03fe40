import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_BOUNDARIES, FEATURES_LIMIT, MicroLoraError } from 'microlora';
import { z } from 'zod';
import { ioError, writeFileAtomic } from '@microlora/bank/node';

export const MANIFEST_FILE = 'store.json';
const MANIFEST_FORMAT = 'microlora/node-store';
const MANIFEST_VERSION = 1;

/** What a data directory is created with; fixed for its lifetime (the journal's records depend on it). */
export interface StoreConfig {
  /** Embedding length of the hashing embedder. */
  dimension: number;
  /** Adapters are hiddenSize → hiddenSize. */
  hiddenSize: number;
  maxPatternsPerBank: number;
  /** 'fast': the Hamming index; 'exact': the flat index. */
  index: 'fast' | 'exact';
  /** TALoRA bank boundaries in [0, 1]. */
  boundaries: number[];
}

export const DEFAULT_STORE_CONFIG: Readonly<StoreConfig> = Object.freeze({
  dimension: 768,
  hiddenSize: 768,
  maxPatternsPerBank: 10_000,
  index: 'fast',
  boundaries: [...DEFAULT_BOUNDARIES],
});

const configSchema = z.strictObject({
  dimension: z.int().min(1).max(FEATURES_LIMIT),
  hiddenSize: z.int().min(1).max(FEATURES_LIMIT),
  maxPatternsPerBank: z.int().min(1).max(1 << 28),
  index: z.enum(['fast', 'exact']),
  boundaries: z.array(z.number().min(0).max(1)).min(2).max(64),
});

const manifestSchema = z.strictObject({
  format: z.literal(MANIFEST_FORMAT),
  version: z.int(),
  config: configSchema,
});

/** The data directory's configuration, or undefined when it has no manifest yet. Damaged → CORRUPT_DATA. */
export async function readManifest(directory: string): Promise<StoreConfig | undefined> {
  const path = join(directory, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    if ((cause as { code?: string }).code === 'ENOENT') return undefined;
    throw ioError('read', path, cause);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new MicroLoraError('CORRUPT_DATA', `${path} is not valid JSON; restore it from a backup`, { cause });
  }
  const result = manifestSchema.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new MicroLoraError(
      'CORRUPT_DATA',
      `${path} is not a MicroLoRA store manifest (${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'})`,
    );
  }
  if (result.data.version !== MANIFEST_VERSION) {
    throw new MicroLoraError(
      'UNSUPPORTED_VERSION',
      `${path} has store format version ${result.data.version}; this build reads version ${MANIFEST_VERSION}`,
    );
  }
  return result.data.config;
}

export async function writeManifest(directory: string, config: StoreConfig): Promise<void> {
  const text = JSON.stringify({ format: MANIFEST_FORMAT, version: MANIFEST_VERSION, config }, null, 2);
  await writeFileAtomic(join(directory, MANIFEST_FILE), [Buffer.from(`${text}\n`, 'utf8')]);
}
