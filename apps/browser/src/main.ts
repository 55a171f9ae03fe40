import './styles.css';
import { getBackend, isMicroLoraError } from 'microlora';
import init from 'microlora/compat';
import { APP_BOUNDARIES, APP_HIDDEN_SIZE, UMBRELLA_RECORD, clearStoredState, restoreApp, saveUserState } from './app-state.js';
import { ChatView } from './chat-view.js';
import type { ChatEngine, Verdict } from './chat-engine.js';
import { createHnswIndexPool, type HnswIndexPool } from './hnsw-index-pool.js';
import { openByteStore } from './idb-bytes.js';
import { renderQualityChart } from './quality-chart.js';
import { renderRestoreNotes, renderSaveState, renderStats, renderTfjs } from './stats-view.js';
import { loadWebglOps, rescoreHistory, type TfjsLoad } from './tfjs-rescore.js';
import { UmbrellaSaver } from './umbrella-saver.js';

function required<T extends Element>(selector: string): T {
  const found = document.querySelector<T>(selector);
  if (found === null) throw new Error(`the page is missing ${selector}`);
  return found;
}

function message(error: unknown): string {
  if (isMicroLoraError(error)) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

async function boot(): Promise<void> {
  const sidebar = required<HTMLElement>('#sidebar');
  const chart = required<SVGSVGElement>('#quality-chart');
  const form = required<HTMLFormElement>('#ask');
  const input = required<HTMLInputElement>('#query');
  const notice = required<HTMLElement>('#notice');
  const chat = new ChatView(required<HTMLElement>('#messages'));

  await init(); // loads the WebAssembly SIMD backend (embedded, synchronous instantiation)
  const store = openByteStore(UMBRELLA_RECORD.database, UMBRELLA_RECORD.store);
  const pools: HnswIndexPool[] = [];
  const index = async () => {
    const pool = await createHnswIndexPool(APP_BOUNDARIES.length - 1, { dimension: APP_HIDDEN_SIZE, metric: 'cosine', capacity: 64 });
    pools.push(pool);
    return pool.factory;
  };
  const { engine, notes, freshPatterns } = await restoreApp({ storage: localStorage, bytes: store, index });
  // A failed restore leaves an unused pool behind: free its graphs.
  const live = engine.micro.manager.banks.map((b) => b.index);
  for (const pool of pools) if (!pool.indexes.some((i) => live.includes(i))) pool.dispose();

  const saver = new UmbrellaSaver(engine.micro, store, UMBRELLA_RECORD.key, (state) => renderSaveState(sidebar, state));
  const refresh = (target: ChatEngine): void => {
    renderStats(sidebar, target.stats());
    renderQualityChart(chart, target.log.ratings);
  };
  renderRestoreNotes(sidebar, notes);
  renderSaveState(sidebar, saver.current);
  for (const entry of engine.log.transcript) chat.addPast(entry);
  refresh(engine);
  if (freshPatterns) void saver.save();

  // tfjs-webgl loads on the side: the page is usable at once and works without it.
  let tfjs: TfjsLoad | undefined;
  const rescore = (): void => {
    if (tfjs === undefined) return;
    if (!tfjs.ok) return renderTfjs(sidebar, { state: 'unavailable', reason: tfjs.reason });
    try {
      const batch = engine.historyBatch();
      if (batch.rows === 0) return renderTfjs(sidebar, { state: 'idle', initMs: tfjs.initMs });
      const result = rescoreHistory(tfjs.ops, getBackend(), batch.adapters, batch.adapterIndex, batch.hidden, batch.rows);
      renderTfjs(sidebar, { state: result.agrees ? 'agrees' : 'mismatch', result });
      if (!result.agrees) console.error(`tfjs-webgl loraApplyBatch differs from ${result.referenceBackend}: relative error ${result.relativeError}`);
    } catch (error) {
      renderTfjs(sidebar, { state: 'failed', reason: message(error) });
      console.error(error);
    }
  };
  renderTfjs(sidebar, { state: 'loading' });
  void loadWebglOps().then((load) => {
    tfjs = load;
    rescore();
  });
  required<HTMLButtonElement>('#rescore').addEventListener('click', rescore);

  const rate = (id: number, verdict: Verdict, article: HTMLElement): void => {
    try {
      const outcome = engine.rate(id, verdict);
      const harvested = outcome.harvested === undefined ? '' : `, stored pattern ${outcome.harvested}`;
      chat.markRated(article, verdict, `learnt: ${outcome.learnt}, ${outcome.patternsUpdated} source patterns updated${harvested}`);
      saveUserState(localStorage, engine);
      void saver.save();
      refresh(engine);
      rescore(); // the adapter changed: re-score the history with it
    } catch (error) {
      notice.textContent = message(error);
    }
  };

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    notice.textContent = '';
    try {
      const response = engine.respond(input.value);
      chat.addResponse(response, (verdict, article) => rate(response.id, verdict, article));
      saveUserState(localStorage, engine); // the transcript
      input.value = '';
      refresh(engine);
    } catch (error) {
      notice.textContent = message(error);
    }
  });

  required<HTMLButtonElement>('#reset').addEventListener('click', () => {
    void clearStoredState(localStorage, store).then(
      () => location.reload(),
      (error: unknown) => (notice.textContent = message(error)),
    );
  });

  document.body.dataset['ready'] = 'true';
}

boot().catch((error: unknown) => {
  document.body.dataset['bootError'] = message(error);
  const notice = document.querySelector('#notice');
  if (notice !== null) notice.textContent = `The page could not start: ${message(error)}`;
  console.error(error);
});
