/** Progress of a long operation (bulk import, index build) on stderr. */
export interface Progress {
  /** `done` units so far (absolute, not an increment). */
  update(done: number): void;
  /** Ends the bar (a TTY line gets its newline) with an optional summary. */
  finish(summary?: string): void;
}

export type ProgressFactory = (label: string, total: number | undefined, unit?: 'items' | 'bytes') => Progress;

export interface ProgressOptions {
  /** Default process.stderr. */
  stream?: { write(text: string): unknown; isTTY?: boolean };
  /** Redraw interval of the TTY bar. Default 100 ms. */
  redrawMs?: number;
  /** Interval between plain lines when not a TTY. Default 2 s (plus one line per 10 % when the total is known). */
  lineMs?: number;
  now?: () => number;
}

const BAR_WIDTH = 24;

function formatAmount(value: number, unit: 'items' | 'bytes'): string {
  if (unit === 'items') return String(Math.round(value));
  if (value < 1024) return `${value} B`;
  if (value < 1024 ** 2) return `${(value / 1024).toFixed(1)} KiB`;
  if (value < 1024 ** 3) return `${(value / 1024 ** 2).toFixed(1)} MiB`;
  return `${(value / 1024 ** 3).toFixed(2)} GiB`;
}

function formatSeconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}

/**
 * A bar redrawn in place when `stream` is a terminal, otherwise plain periodic
 * lines (logs and CI stay readable). `total` undefined: counts without a bar.
 */
export function createProgress(
  label: string,
  total: number | undefined,
  unit: 'items' | 'bytes' = 'items',
  options: ProgressOptions = {},
): Progress {
  const stream = options.stream ?? process.stderr;
  const tty = stream.isTTY === true;
  const now = options.now ?? (() => performance.now());
  const redrawMs = options.redrawMs ?? 100;
  const lineMs = options.lineMs ?? 2000;
  const started = now();
  let done = 0;
  let lastDraw = Number.NEGATIVE_INFINITY;
  let lastTenth = -1;
  let finished = false;

  const describe = (): string => {
    const elapsed = now() - started;
    const rate = elapsed > 0 ? (done / elapsed) * 1000 : 0;
    const rateText = unit === 'bytes' ? `${formatAmount(Math.round(rate), 'bytes')}/s` : `${rate.toFixed(0)}/s`;
    if (total === undefined || total <= 0) return `${label} ${formatAmount(done, unit)} (${rateText})`;
    const fraction = Math.min(1, done / total);
    const eta = rate > 0 && fraction < 1 ? `, ${formatSeconds(((total - done) / rate) * 1000)} left` : '';
    const percent = `${(fraction * 100).toFixed(0).padStart(3)} %`;
    const amounts = `${formatAmount(done, unit)}/${formatAmount(total, unit)}`;
    if (!tty) return `${label} ${percent} ${amounts} (${rateText}${eta})`;
    const filled = Math.round(fraction * BAR_WIDTH);
    return `${label} [${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${percent} ${amounts} (${rateText}${eta})`;
  };

  return {
    update(value: number): void {
      if (finished) return;
      done = value;
      const t = now();
      if (tty) {
        if (t - lastDraw < redrawMs) return;
        lastDraw = t;
        stream.write(`\r${describe()}\x1b[K`);
        return;
      }
      const tenth = total === undefined || total <= 0 ? -1 : Math.floor((10 * done) / total);
      if (t - lastDraw >= lineMs || tenth > lastTenth) {
        lastDraw = t;
        lastTenth = Math.max(lastTenth, tenth);
        stream.write(`${describe()}\n`);
      }
    },
    finish(summary?: string): void {
      if (finished) return;
      finished = true;
      const text = `${label} done: ${formatAmount(done, unit)} in ${formatSeconds(now() - started)}${summary === undefined ? '' : `, ${summary}`}`;
      stream.write(tty ? `\r${text}\x1b[K\n` : `${text}\n`);
    },
  };
}

/** Reports nothing (tests, --quiet). */
export const silentProgress: ProgressFactory = () => ({ update: () => undefined, finish: () => undefined });

/** createProgress on process.stderr. */
export const stderrProgress: ProgressFactory = (label, total, unit) => createProgress(label, total, unit);
