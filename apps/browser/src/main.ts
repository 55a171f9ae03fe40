import './styles.css';
import { getBackend, type SimdOps } from 'microlora';
import init from 'microlora/compat';
import { STATE_RECORDS, clearStoredState, describeError, removeObsoleteState, restoreSession, saveSession, type RestoreNote } from './app-storage.js';
import { ChatEngine, type Verdict } from './chat-engine.js';
import { ChatView } from './chat-view.js';
import { openByteStore, type ByteStore } from './idb-bytes.js';
import type * as ModelLoader from './model-loader.js';
import { renderQualityChart } from './quality-chart.js';
import type { SessionLog } from './session-log.js';
import { StateSaver } from './state-saver.js';
import { renderLastFeedback, renderModel, renderRestoreNotes, renderSaveState, renderStats, renderTfjs } from './stats-view.js';
import { backendOrderFromQuery } from './tfjs-backend-order.js';
import { rescoreHistory } from './tfjs-rescore.js';

function required<T extends Element>(selector: string): T {
  const found = document.querySelector<T>(selector);
  if (found === null) throw new Error(`the page is missing ${selector}`);
  return found;
}

/** Lets the browser paint (e.g. "Generating…") before a synchronous model call blocks the thread. */
function nextPaint(): Promise<void> {
  return new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
}

/** A loaded model and everything that works on it. */
interface LiveModel {
  engine: ChatEngine;
  loaded: ModelLoader.LoadedChatModel;
  saver: StateSaver;
}

/**
 * The page: the conversation and chart are restored at once; the model loads
 * lazily (its own chunk with tfjs) and then answers messages and learns from ratings.
 */
class ChatPage {
  private readonly sidebar = required<HTMLElement>('#sidebar');
  private readonly chart = required<SVGSVGElement>('#quality-chart');
  private readonly input = required<HTMLInputElement>('#query');
  private readonly replyChars = required<HTMLInputElement>('#reply-chars');
  private readonly send = required<HTMLButtonElement>('[data-testid="send"]');
  private readonly notice = required<HTMLElement>('#notice');
  private readonly chat = new ChatView(required<HTMLElement>('#messages'));
  private readonly store: ByteStore = openByteStore(STATE_RECORDS.database, STATE_RECORDS.store);
  private readonly log: SessionLog;
  private readonly sessionNote: RestoreNote;
  private live: LiveModel | undefined;
  private busy = false;
  /** The page's SIMD backend (WebAssembly SIMD, else JS): the personal learner's arithmetic and the check's reference. */
  private simd: SimdOps | undefined;

  constructor() {
    const session = restoreSession(localStorage);
    this.log = session.log;
    this.sessionNote = session.note;
    for (const entry of this.log.transcript) this.chat.addPast(entry);
    renderQualityChart(this.chart, this.log.ratings);
    renderRestoreNotes(this.sidebar, [this.sessionNote]);
    renderModel(this.sidebar, { state: 'loading' });
    renderTfjs(this.sidebar, { state: 'loading' });
    this.setModelState('loading');
    required<HTMLFormElement>('#ask').addEventListener('submit', (event) => {
      event.preventDefault();
      void this.submit();
    });
    required<HTMLButtonElement>('#rescore').addEventListener('click', () => this.rescore());
    required<HTMLButtonElement>('#reset').addEventListener('click', () => {
      void clearStoredState(localStorage, this.store).then(
        () => location.reload(),
        (error: unknown) => (this.notice.textContent = describeError(error)),
      );
    });
  }

  /** Loads the model (lazily: tfjs and the model code are their own chunk); failures are shown, not swallowed. */
  async loadModel(): Promise<void> {
    await removeObsoleteState(localStorage, this.store).catch((error: unknown) => console.warn('could not remove obsolete stored state', error));
    await init(); // registers and loads the WebAssembly SIMD backend (embedded; falls back to JS)
    const simd = getBackend();
    this.simd = simd;
    let loader: typeof ModelLoader;
    let loaded: ModelLoader.LoadedChatModel;
    try {
      const order = backendOrderFromQuery(location.search);
      loader = await import('./model-loader.js');
      loaded = await loader.loadChatModel(this.store, { order, simd });
    } catch (error) {
      renderModel(this.sidebar, { state: 'failed', reason: describeError(error) });
      renderTfjs(this.sidebar, { state: 'unavailable', reason: 'the model did not load' });
      this.notice.textContent = `The model could not load: ${describeError(error)}`;
      this.setModelState('failed');
      console.error(error);
      return;
    }
    const engine = new ChatEngine({ inference: loaded.inference, log: this.log, tfBackend: loaded.backend.name });
    const saver = new StateSaver(() => loader.modelStateRecords(loaded), this.store, (state) => renderSaveState(this.sidebar, state));
    this.live = { engine, loaded, saver };
    const { config } = loaded.inference.model;
    renderModel(this.sidebar, {
      state: 'ready',
      tfBackend: loaded.backend.name,
      initMs: loaded.backend.initMs,
      skipped: loaded.backend.skipped,
      dim: config.dim,
      seqLen: config.seqLen,
      weightsBytes: loaded.files.weightsBytes,
      patternsBytes: loaded.files.patternsBytes,
      fetchMs: loaded.fetchMs,
      totalMs: loaded.totalMs,
    });
    renderRestoreNotes(this.sidebar, [this.sessionNote, ...loaded.notes]);
    renderSaveState(this.sidebar, saver.current);
    this.refresh();
    this.rescore();
    this.send.disabled = false;
    this.setModelState('ready');
  }

  private setModelState(state: 'loading' | 'ready' | 'failed'): void {
    document.body.dataset['model'] = state;
  }

  private refresh(): void {
    if (this.live !== undefined) renderStats(this.sidebar, this.live.engine.stats());
    renderQualityChart(this.chart, this.log.ratings);
  }

  private async submit(): Promise<void> {
    const live = this.live;
    if (live === undefined) {
      this.notice.textContent = document.body.dataset['model'] === 'failed' ? 'The model did not load (see the sidebar).' : 'The model is still loading…';
      return;
    }
    if (this.busy) return;
    this.busy = true;
    this.notice.textContent = '';
    this.send.disabled = true;
    this.send.textContent = 'Generating…';
    try {
      await nextPaint();
      const reply = live.engine.respond(this.input.value, this.replyChars.valueAsNumber);
      this.chat.addReply(reply, (verdict, article) => this.rate(reply.id, verdict, article));
      saveSession(localStorage, this.log); // the transcript
      this.input.value = '';
      this.refresh();
    } catch (error) {
      this.notice.textContent = describeError(error);
    } finally {
      this.busy = false;
      this.send.disabled = false;
      this.send.textContent = 'Send';
    }
  }

  private rate(id: number, verdict: Verdict, article: HTMLElement): void {
    const live = this.live;
    if (live === undefined) return;
    try {
      const outcome = live.engine.rate(id, verdict);
      const harvested = outcome.harvested === undefined ? '' : `, harvested ${outcome.harvested}`;
      this.chat.markRated(article, verdict, `learnt: ${outcome.learnerEvents} learner events, ${outcome.patternsUpdated} patterns updated${harvested}`);
      renderLastFeedback(this.sidebar, verdict, outcome);
      saveSession(localStorage, this.log);
      void live.saver.save();
      this.refresh();
      this.rescore(); // the adapter changed: re-score the history with it
    } catch (error) {
      this.notice.textContent = describeError(error);
    }
  }

  /** The history through your adapter on the model's micro-tier SimdOps (simd-tfjs), checked against wasm. */
  private rescore(): void {
    const live = this.live;
    if (live === undefined) return;
    const { engine } = live;
    try {
      const batch = engine.historyBatch();
      if (batch.rows === 0) return renderTfjs(this.sidebar, { state: 'idle', tfBackend: engine.tfBackend });
      const result = rescoreHistory(engine.inference.model.simd, this.simd ?? getBackend(), batch.adapters, batch.adapterIndex, batch.hidden, batch.rows);
      renderTfjs(this.sidebar, { state: result.agrees ? 'agrees' : 'mismatch', tfBackend: engine.tfBackend, result });
      if (!result.agrees) console.error(`tfjs-${engine.tfBackend} loraApplyBatch differs from ${result.referenceBackend}: relative error ${result.relativeError}`);
    } catch (error) {
      renderTfjs(this.sidebar, { state: 'failed', reason: describeError(error) });
      console.error(error);
    }
  }
}

async function boot(): Promise<void> {
  const page = new ChatPage();
  document.body.dataset['ready'] = 'true';
  await page.loadModel();
}

boot().catch((error: unknown) => {
  document.body.dataset['bootError'] = describeError(error);
  const notice = document.querySelector('#notice');
  if (notice !== null) notice.textContent = `The page could not start: ${describeError(error)}`;
  console.error(error);
});
