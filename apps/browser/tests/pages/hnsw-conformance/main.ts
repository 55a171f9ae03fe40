// Runs @microlora/vector-index's conformance cases against @microlora/vector-index-hnswlib-wasm
// in a real browser, plus an IndexedDB persist/restore probe across page loads.
import { SeededRng } from '@microlora/core';
import { vectorIndexConformanceCases } from '@microlora/vector-index/conformance';
import { createHnswIndex, deletePersistedIndex, listPersistedIndexes } from '@microlora/vector-index-hnswlib-wasm';

export interface CaseResult {
  name: string;
  status: 'passed' | 'failed' | 'skipped';
  ms: number;
  error?: string;
}

export interface PersistProbe {
  ids: string[];
  /** Top-5 ids for each of 5 fixed queries. */
  hits: string[][];
  persisted: string[];
}

export interface HnswConformancePage {
  runCases(): Promise<CaseResult[]>;
  persistSample(name: string): Promise<PersistProbe>;
  restoreSample(name: string): Promise<PersistProbe>;
  /** The error code restore() gives for a name nothing was persisted under. */
  restoreMissing(name: string): Promise<string>;
  deleteSample(name: string): Promise<string[]>;
}

const DIMENSION = 24;

function sampleVectors(): Float32Array[] {
  const rng = new SeededRng(77);
  return Array.from({ length: 300 }, () => rng.fillNormal(new Float32Array(DIMENSION)));
}

function queries(): Float32Array[] {
  const rng = new SeededRng(78);
  return Array.from({ length: 5 }, () => rng.fillNormal(new Float32Array(DIMENSION)));
}

const page: HnswConformancePage = {
  async runCases() {
    const results: CaseResult[] = [];
    for (const c of vectorIndexConformanceCases((options) => createHnswIndex(options), { approximate: { minRecallAt10: 0.9 } })) {
      const started = performance.now();
      if (c.skip !== undefined) {
        results.push({ name: c.name, status: 'skipped', ms: 0, error: c.skip });
        continue;
      }
      try {
        await c.run();
        results.push({ name: c.name, status: 'passed', ms: performance.now() - started });
      } catch (error) {
        const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        results.push({ name: c.name, status: 'failed', ms: performance.now() - started, error: message });
      }
    }
    return results;
  },

  async persistSample(name) {
    const index = await createHnswIndex({ dimension: DIMENSION, metric: 'cosine', capacity: 16 });
    sampleVectors().forEach((v, i) => index.add(`v${i}`, v));
    index.remove('v3');
    await index.persist(name);
    const probe = { ids: index.ids().sort(), hits: queries().map((q) => index.search(q, 5).map((h) => h.id)), persisted: await listPersistedIndexes() };
    index.dispose();
    return probe;
  },

  async restoreSample(name) {
    const index = await createHnswIndex({ dimension: DIMENSION, metric: 'cosine' });
    await index.restore(name);
    const probe = { ids: index.ids().sort(), hits: queries().map((q) => index.search(q, 5).map((h) => h.id)), persisted: await listPersistedIndexes() };
    index.dispose();
    return probe;
  },

  async restoreMissing(name) {
    const index = await createHnswIndex({ dimension: DIMENSION });
    try {
      await index.restore(name);
      return 'no error';
    } catch (error) {
      return (error as { code?: string }).code ?? String(error);
    } finally {
      index.dispose();
    }
  },

  async deleteSample(name) {
    await deletePersistedIndex(name);
    return listPersistedIndexes();
  },
};

(window as unknown as { hnswConformance: HnswConformancePage }).hnswConformance = page;
document.body.dataset['ready'] = 'true';
