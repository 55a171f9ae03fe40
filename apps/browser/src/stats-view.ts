import type { EngineStats, RatingOutcome } from './chat-engine.js';
import type { RestoreNote } from './app-storage.js';
import type { RescoreResult } from './tfjs-rescore.js';
import type { SaveState } from './state-saver.js';

function set(root: ParentNode, testid: string, text: string): void {
  const target = root.querySelector(`[data-testid="${testid}"]`);
  if (target !== null) target.textContent = text;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

export type ModelView =
  | { state: 'loading' }
  | { state: 'failed'; reason: string }
  | {
      state: 'ready';
      tfBackend: string;
      initMs: number;
      /** Better backends that failed, with why. */
      skipped: readonly { name: string; reason: string }[];
      dim: number;
      seqLen: number;
      weightsBytes: number;
      patternsBytes: number;
      fetchMs: number;
      totalMs: number;
    };

/** The "Model" rows: which tfjs backend runs it, its size and load time, or loading / why it failed. */
export function renderModel(root: ParentNode, view: ModelView): void {
  const row = root.querySelector<HTMLElement>('[data-testid="stat-tf-backend"]');
  if (row !== null) {
    row.dataset['state'] = view.state;
    row.classList.toggle('error', view.state === 'failed');
  }
  switch (view.state) {
    case 'loading':
      set(root, 'stat-tf-backend', 'loading model…');
      set(root, 'stat-model', '…');
      set(root, 'stat-model-load', '…');
      return;
    case 'failed':
      set(root, 'stat-tf-backend', `FAILED: ${view.reason}`);
      set(root, 'stat-model', 'not loaded');
      set(root, 'stat-model-load', '—');
      return;
    case 'ready': {
      const skipped = view.skipped.map((s) => `${s.name}: ${s.reason}`).join('; ');
      set(root, 'stat-tf-backend', `${view.tfBackend} (ready in ${view.initMs.toFixed(0)} ms)${skipped.length > 0 ? ` — skipped ${skipped}` : ''}`);
      set(root, 'stat-model', `${view.dim}-d, ${view.seqLen} chars, ${(view.weightsBytes / 1024).toFixed(0)} KB weights + ${(view.patternsBytes / 1024).toFixed(0)} KB patterns`);
      set(root, 'stat-model-load', `files in ${view.fetchMs.toFixed(0)} ms, ready in ${view.totalMs.toFixed(0)} ms`);
      return;
    }
  }
}

/** The personal adapter and pattern bank figures. */
export function renderStats(root: ParentNode, stats: EngineStats): void {
  set(root, 'stat-backend', stats.simdBackend);
  set(root, 'stat-rank', String(stats.rank));
  set(root, 'stat-params', stats.paramCount.toLocaleString('en-US'));
  set(root, 'stat-memory', `${stats.memoryBytes.toLocaleString('en-US')} bytes`);
  set(root, 'stat-samples', String(stats.samplesSeen));
  set(root, 'stat-updates', String(stats.updatesApplied));
  set(root, 'stat-avg', stats.avgQuality.toFixed(3));
  set(root, 'stat-norm', stats.deltaNorm.toExponential(3));
  set(root, 'stat-crc', stats.weightsCrc);
  set(root, 'stat-patterns', `${stats.patterns} in ${plural(stats.banks, 'TALoRA bank')}`);
  const replies = `${stats.requests} ${stats.requests === 1 ? 'reply' : 'replies'}`;
  set(root, 'stat-requests', `${replies}, ${plural(stats.ratings, 'rating')} this visit`);
}

/** What the last 👍/👎 did to the learner and the patterns. */
export function renderLastFeedback(root: ParentNode, verdict: 'up' | 'down', outcome: RatingOutcome): void {
  const norm = `‖ΔW‖ ${outcome.deltaNormBefore.toExponential(2)} → ${outcome.deltaNormAfter.toExponential(2)}`;
  const harvested = outcome.harvested === undefined ? '' : `, harvested ${outcome.harvested}`;
  set(root, 'stat-last-feedback', `${verdict === 'up' ? 'Good' : 'Bad'}: ${plural(outcome.learnerEvents, 'learner event')}, ${plural(outcome.patternsUpdated, 'pattern')} updated, ${norm}${harvested}`);
}

export function renderSaveState(root: ParentNode, state: SaveState): void {
  const target = root.querySelector<HTMLElement>('[data-testid="save-status"]');
  if (target === null) return;
  target.dataset['busy'] = String(state.busy);
  target.dataset['saved'] = String(state.saved);
  target.classList.toggle('error', state.error !== undefined);
  if (state.error !== undefined) target.textContent = `save failed: ${state.error}`;
  else if (state.busy) target.textContent = 'saving to IndexedDB…';
  else if (state.saved > 0) target.textContent = `saved ✓ ${state.lastBytes.toLocaleString('en-US')} bytes in IndexedDB`;
  else target.textContent = 'no changes since the page loaded';
}

export function renderRestoreNotes(root: ParentNode, notes: readonly RestoreNote[]): void {
  const target = root.querySelector<HTMLElement>('[data-testid="restore-notes"]');
  if (target === null) return;
  target.replaceChildren(
    ...notes.map((n) => {
      const item = document.createElement('li');
      item.className = n.state;
      item.dataset['part'] = n.part;
      item.dataset['state'] = n.state;
      item.textContent = `${n.part}: ${n.state} — ${n.detail}`;
      return item;
    }),
  );
}

export type TfjsView =
  | { state: 'loading' }
  | { state: 'unavailable' | 'failed'; reason: string }
  | { state: 'idle'; tfBackend: string }
  | { state: 'agrees' | 'mismatch'; tfBackend: string; result: RescoreResult };

/** The "micro-tier check" row: the history re-scored on the model's tfjs SimdOps vs wasm, or why not. */
export function renderTfjs(root: ParentNode, view: TfjsView): void {
  const target = root.querySelector<HTMLElement>('[data-testid="stat-tfjs"]');
  if (target === null) return;
  target.dataset['state'] = view.state;
  target.classList.toggle('error', view.state === 'mismatch' || view.state === 'failed');
  const button = root.querySelector<HTMLButtonElement>('[data-testid="rescore"]');
  if (button !== null) button.disabled = view.state === 'loading' || view.state === 'unavailable';
  switch (view.state) {
    case 'loading':
      target.textContent = 'waiting for the model…';
      return;
    case 'unavailable':
      target.textContent = `unavailable: ${view.reason}`;
      return;
    case 'failed':
      target.textContent = `re-score FAILED: ${view.reason}`;
      return;
    case 'idle':
      target.textContent = `${view.tfBackend} (no history to re-score yet)`;
      return;
    case 'agrees':
    case 'mismatch': {
      const r = view.result;
      const rows = `${plural(r.rows, 'row')} in ${r.tfjsMs.toFixed(1)} ms`;
      const err = r.relativeError.toExponential(1);
      target.textContent =
        view.state === 'agrees'
          ? `${view.tfBackend} · ${rows} · matches ${r.referenceBackend} (rel. err ${err})`
          : `${view.tfBackend} MISMATCH vs ${r.referenceBackend}: rel. err ${err} > 1e-4 (${rows})`;
      return;
    }
  }
}
