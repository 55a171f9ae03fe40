// Needs the built CLI (npx tsc -b): each cycle runs `microlora serve` as a child process and SIGKILLs it.
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SeededRng, encodeJson } from 'microlora';
import { afterAll, describe, expect, it } from 'vitest';
import { startServer } from '../src/load-test.js';
import { PatternStore } from '../src/store/pattern-store.js';
import { compressedLora, removeTempDirs, tempDir } from './helpers.js';

afterAll(removeTempDirs);

const CYCLES = 20;
const WRITERS = 3;
const HIDDEN = 32;
const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
// Small snapshots: kills also land while a snapshot is written or the journal rotates.
const SERVE_FLAGS = ['--dimension', '64', '--hidden-size', String(HIDDEN), '--snapshot-bytes', '40kb', '--max-patterns', '100000'];

async function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  await exited;
}

describe('crash safety', () => {
  it(`keeps every acknowledged pattern over ${CYCLES} SIGKILLs during writes`, async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build apps/node first (npx tsc -b)`);
    const dir = await tempDir('microlora-crash-');
    const rng = new SeededRng('crash-test');
    const loras = Array.from({ length: 16 }, (_, i) => JSON.parse(encodeJson(compressedLora(HIDDEN, i))) as unknown);
    const acknowledged = new Set<string>();
    let acknowledgedFeedback = 0;
    let sentFeedback = 0;
    let next = 0;
    const report: string[] = [];

    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const { child, url } = await startServer(CLI, ['--data-dir', dir, ...SERVE_FLAGS], 60_000);
      try {
        if (cycle === 0) {
          const target = await fetch(`${url}/patterns`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ id: 'feedback-target', query: 'the pattern that collects feedback', lora: loras[0] }),
          });
          expect(target.status).toBe(201);
          acknowledged.add('feedback-target');
        }
        // Every restart must have reloaded everything acknowledged before.
        const stats = (await (await fetch(`${url}/stats`)).json()) as { microlora: { patterns: number } };
        expect(stats.microlora.patterns).toBeGreaterThanOrEqual(acknowledged.size);

        let stop = false;
        const writer = async (w: number): Promise<void> => {
          while (!stop) {
            const count = 1 + rng.int(3);
            const ids = Array.from({ length: count }, () => `c${cycle}-w${w}-${next++}`);
            const body = {
              patterns: ids.map((id, i) => ({ id, query: `cycle ${cycle} writer ${w} pattern ${id} topic ${i}`, lora: loras[rng.int(loras.length)], timestepRange: [0, 1] })),
            };
            try {
              if (rng.next() < 0.2) {
                sentFeedback++;
                const fb = await fetch(`${url}/feedback`, {
                  method: 'POST',
                  headers: { 'content-type': 'application/json' },
                  body: JSON.stringify({ patternIds: ['feedback-target'], quality: 1 }),
                });
                if (fb.status === 200) acknowledgedFeedback++;
                continue;
              }
              const response = await fetch(`${url}/patterns`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
              await response.arrayBuffer();
              if (response.status === 201) for (const id of ids) acknowledged.add(id);
              else throw new Error(`POST /patterns answered ${response.status}`);
            } catch (error) {
              if (stop) return;
              throw error;
            }
          }
        };
        const writers = Array.from({ length: WRITERS }, (_, w) => writer(w));
        // Mostly short runs; every fourth lasts long enough for background snapshots to finish (or be cut).
        await new Promise((resolve) => setTimeout(resolve, cycle % 4 === 3 ? 1200 + rng.int(800) : 120 + rng.int(500)));
        stop = true;
        await killHard(child);
        await Promise.all(writers);
      } finally {
        await killHard(child);
      }

      // The store reloads after every kill, holding every acknowledged pattern.
      const store = await PatternStore.open(dir, { readOnly: true });
      const missing = [...acknowledged].filter((id) => !store.micro.hasPattern(id));
      const feedbackCount = store.micro.manager.get('feedback-target')?.metrics.feedbackCount ?? -1;
      const s = store.stats();
      report.push(`cycle ${cycle}: ${acknowledged.size} acknowledged, ${store.micro.stats().patterns} stored, torn tail ${s.droppedTailBytes} B, snapshot → journal ${s.snapshot?.generation ?? '-'}, last journal ${s.journalGeneration}`);
      await store.close();
      expect(missing).toEqual([]);
      expect(feedbackCount).toBeGreaterThanOrEqual(acknowledgedFeedback);
      expect(feedbackCount).toBeLessThanOrEqual(sentFeedback);
    }
    // The run must really have written between kills and rotated journals through snapshots.
    expect(acknowledged.size).toBeGreaterThan(CYCLES * 10);
    const last = await PatternStore.open(dir, { readOnly: true });
    expect(last.stats().journalGeneration).toBeGreaterThan(1);
    expect(last.stats().snapshot?.generation).toBeGreaterThan(1);
    await last.close();
    console.log(report.join('\n'));
  });
});
