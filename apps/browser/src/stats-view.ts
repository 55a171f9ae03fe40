import type { EngineStats } from './chat-engine.js';
import type { RestoreNote } from './app-state.js';
import type { RescoreResult } from './tfjs-rescore.js';
import type { SaveState } from './umbrella-saver.js';

function set(root: ParentNode, testid: string, text: string): void {
  const target = root.querySelector(`[data-testid="${testid}"]`);
  if (target !== null) target.textContent = text;
}

/** The sidebar figures: backend, index, the user adapter and the pattern bank. */
export function renderStats(root: ParentNode, stats: EngineStats): void {
  set(root, 'stat-backend', stats.backend);
  set(root, 'stat-index', `${stats.indexKind} (${stats.indexSize} vectors)`);
  set(root, 'stat-rank', String(stats.rank));
  set(root, 'stat-params', stats.paramCount.toLocaleString('en-US'));
  set(root, 'stat-memory', `${stats.memoryBytes.toLocaleString('en-US')} bytes`);
  set(root, 'stat-samples', String(stats.samplesSeen));
  set(root, 'stat-avg', stats.avgQuality.toFixed(3));
  set(root, 'stat-crc', stats.weightsCrc);
  set(root, 'stat-patterns', String(stats.patterns));
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  set(root, 'stat-requests', `${plural(stats.requests, 'request')}, ${plural(stats.feedbacks, 'rating')} this visit`);
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
  | { state: 'idle'; initMs: number }
  | { state: 'agrees' | 'mismatch'; result: RescoreResult };

/** The "tfjs backend" row: webgl and the history re-score's time, or why it is unavailable. */
export function renderTfjs(root: ParentNode, view: TfjsView): void {
  const target = root.querySelector<HTMLElement>('[data-testid="stat-tfjs"]');
  if (target === null) return;
  target.dataset['state'] = view.state;
  target.classList.toggle('error', view.state === 'mismatch' || view.state === 'failed');
  const button = root.querySelector<HTMLButtonElement>('[data-testid="rescore"]');
  if (button !== null) button.disabled = view.state === 'loading' || view.state === 'unavailable';
  switch (view.state) {
    case 'loading':
      target.textContent = 'loading webgl…';
      return;
    case 'unavailable':
      target.textContent = `unavailable: ${view.reason}`;
      return;
    case 'failed':
      target.textContent = `webgl re-score FAILED: ${view.reason}`;
      return;
    case 'idle':
      target.textContent = `webgl (ready in ${view.initMs.toFixed(0)} ms; no history to re-score yet)`;
      return;
    case 'agrees':
    case 'mismatch': {
      const r = view.result;
      const rows = `${r.rows} row${r.rows === 1 ? '' : 's'} in ${r.tfjsMs.toFixed(1)} ms`;
      const err = r.relativeError.toExponential(1);
      target.textContent =
        view.state === 'agrees'
          ? `webgl · ${rows} · matches ${r.referenceBackend} (rel. err ${err})`
          : `webgl MISMATCH vs ${r.referenceBackend}: rel. err ${err} > 1e-4 (${rows})`;
      return;
    }
  }
}
