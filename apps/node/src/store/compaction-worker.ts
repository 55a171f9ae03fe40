// Worker thread entry of runCompaction(): builds and writes one snapshot from the data directory's files.
import { parentPort, workerData } from 'node:worker_threads';
import { compactDataDir } from './compaction.js';

const { directory, generation } = workerData as { directory: string; generation: number };
try {
  parentPort?.postMessage({ result: await compactDataDir(directory, generation) });
} catch (error) {
  const code = (error as { code?: unknown }).code;
  parentPort?.postMessage({ error: { code: typeof code === 'string' ? code : undefined, message: error instanceof Error ? error.message : String(error) } });
}
