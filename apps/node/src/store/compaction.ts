import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { MicroLoraError } from 'microlora';
import { loadDataDir } from './load-data-dir.js';
import { readSnapshot, writeSnapshot } from './snapshot-file.js';

export interface CompactionResult {
  generation: number;
  bytes: number;
  patterns: number;
}

/**
 * Writes the snapshot that hands over to journal `generation`: the current snapshot
 * plus every (closed) journal before `generation`, replayed and saved with
 * MicroLora.save(). Works from the files alone, so the serving process is not
 * involved; a snapshot already at or past `generation` is left alone.
 */
export async function compactDataDir(directory: string, generation: number): Promise<CompactionResult> {
  const current = await readSnapshot(directory);
  if (current !== undefined && current.generation >= generation) {
    return { generation: current.generation, bytes: current.fileBytes, patterns: -1 };
  }
  const loaded = await loadDataDir(directory, { readOnly: true, beforeGeneration: generation });
  const payload = await loaded.micro.save();
  const bytes = await writeSnapshot(directory, generation, payload);
  return { generation, bytes, patterns: loaded.micro.stats().patterns };
}

interface WorkerAnswer {
  result?: CompactionResult;
  error?: { code?: string; message: string };
}

/** The built worker module, or undefined when running from TypeScript sources (tests). */
function workerModule(): string | undefined {
  const path = fileURLToPath(new URL('./compaction-worker.js', import.meta.url));
  return existsSync(path) ? path : undefined;
}

/**
 * compactDataDir in a worker thread: MicroLora.save() of a large store is seconds of
 * synchronous work that would otherwise stall every request. From sources (no built
 * worker) it runs in this thread.
 */
export function runCompaction(directory: string, generation: number): Promise<CompactionResult> {
  const module = workerModule();
  if (module === undefined) return compactDataDir(directory, generation);
  return new Promise((resolve, reject) => {
    const worker = new Worker(module, { workerData: { directory, generation } });
    let settled = false;
    worker.once('message', (answer: WorkerAnswer) => {
      settled = true;
      if (answer.result !== undefined) resolve(answer.result);
      else {
        const code = answer.error?.code;
        reject(
          new MicroLoraError(code === 'CORRUPT_DATA' || code === 'NOT_FOUND' ? code : 'IO_ERROR', `compaction failed: ${answer.error?.message ?? 'unknown error'}`),
        );
      }
    });
    worker.once('error', (error) => {
      settled = true;
      reject(new MicroLoraError('IO_ERROR', `the compaction worker failed: ${error.message}`, { cause: error }));
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new MicroLoraError('IO_ERROR', `the compaction worker exited with code ${code} before answering`));
    });
  });
}
