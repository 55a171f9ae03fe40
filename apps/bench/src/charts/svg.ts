/**
 * A tiny dependency-free SVG chart writer for the bench report: line, scatter and
 * horizontal bar charts as standalone SVG strings (no external fonts, scripts or links).
 * Non-finite values (and non-positive ones on a log axis) are dropped, never plotted.
 */

export type Point = readonly [x: number, y: number];

export interface Series {
  name: string;
  points: readonly Point[];
  /** Draw the points' markers (scatter charts always do). */
  markers?: boolean;
  dashed?: boolean;
}

/** What every figure states: a title, axis labels and caption lines (machine, N, dims, params, date). */
export interface ChartFrame {
  title: string;
  /** Caption lines under the plot; long lines are wrapped. */
  caption: readonly string[];
  xLabel: string;
  yLabel: string;
  width?: number;
  height?: number;
}

export interface XYChartOptions extends ChartFrame {
  series: readonly Series[];
  xLog?: boolean;
  yLog?: boolean;
  /** Force the y range to include these values (e.g. 0 and 1 for a recall axis). */
  yInclude?: readonly number[];
  xInclude?: readonly number[];
}

export interface BarSeries {
  name: string;
  /** One value per category; null or non-finite leaves the slot empty. */
  values: readonly (number | null | undefined)[];
}

export interface BarChartOptions extends ChartFrame {
  categories: readonly string[];
  series: readonly BarSeries[];
}

const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#7f7f7f'];
const FONT = 'font-family="sans-serif" font-size="12"';
const CAPTION_LINE = 14;
const CAPTION_CHARS = 124;

export function colorOf(i: number): string {
  return PALETTE[((i % PALETTE.length) + PALETTE.length) % PALETTE.length] as string;
}

export function escapeXml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
}

function fmt(v: number): string {
  return Number.isFinite(v) ? String(Math.round(v * 100) / 100) : '0';
}

/** A compact tick label: 1k, 10k, 2.5, 0.95, 1e-3. */
export function tickLabel(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e6) return `${trim(v / 1e6)}M`;
  if (a >= 1e3) return `${trim(v / 1e3)}k`;
  if (a < 1e-3) return v.toExponential(0);
  return trim(v);
}

function trim(v: number): string {
  return String(Number(v.toPrecision(3)));
}

/** Wraps a caption line at word boundaries to at most `max` characters per line. */
function wrap(line: string, max: number): string[] {
  if (line.length <= max) return [line];
  const out: string[] = [];
  let current = '';
  for (const word of line.split(' ')) {
    if (current && current.length + 1 + word.length > max) {
      out.push(current);
      current = word;
    } else current = current ? `${current} ${word}` : word;
  }
  if (current) out.push(current);
  return out;
}

interface Axis {
  min: number;
  max: number;
  log: boolean;
  ticks: number[];
}

function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  return (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 2.5 ? 2.5 : norm <= 5 ? 5 : 10) * mag;
}

/** Builds an axis covering `values` (already filtered to finite, and positive when log). */
function makeAxis(values: readonly number[], log: boolean, targetTicks: number): Axis {
  if (values.length === 0) return { min: log ? 1 : 0, max: log ? 10 : 1, log, ticks: log ? [1, 10] : [0, 0.5, 1] };
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (log) {
    const a = Math.floor(Math.log10(lo));
    let b = Math.ceil(Math.log10(hi));
    if (a === b) b = a + 1;
    const decades = b - a;
    const ticks: number[] = [];
    const mults = decades <= 2 ? [1, 2, 5] : [1];
    for (let e = a; e <= b; e++) for (const m of mults) ticks.push(m * 10 ** e);
    // trim to the data span when sub-decade ticks exist, keeping the axis tight
    if (decades <= 2 && lo < hi) {
      const inside = ticks.filter((t) => t >= lo / 1.0001 && t <= hi * 1.0001);
      const below = ticks.filter((t) => t <= lo * 1.0001).pop() ?? 10 ** a;
      const above = ticks.find((t) => t >= hi / 1.0001) ?? 10 ** b;
      return { min: below, max: above, log, ticks: [below, ...inside.filter((t) => t > below && t < above), above] };
    }
    return { min: 10 ** a, max: 10 ** b, log, ticks };
  }
  if (lo === hi) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const step = niceStep(hi - lo, targetTicks);
  const min = Math.floor(lo / step + 1e-9) * step;
  const max = Math.ceil(hi / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let t = min; t <= max + step * 1e-6; t += step) ticks.push(Number(t.toPrecision(12)));
  return { min, max, log, ticks };
}

function scale(axis: Axis, from: number, to: number): (v: number) => number {
  if (axis.log) {
    const a = Math.log10(axis.min);
    const b = Math.log10(axis.max);
    return (v) => from + ((Math.log10(v) - a) / (b - a || 1)) * (to - from);
  }
  return (v) => from + ((v - axis.min) / (axis.max - axis.min || 1)) * (to - from);
}

function usable(v: number, log: boolean): boolean {
  return Number.isFinite(v) && (!log || v > 0);
}

interface Layout {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
  captionLines: string[];
}

function layout(frame: ChartFrame, leftMargin: number, legendWidth: number): Layout {
  const width = frame.width ?? 720;
  const captionLines = frame.caption.flatMap((l) => wrap(l, CAPTION_CHARS));
  const height = (frame.height ?? 360) + Math.max(0, captionLines.length - 2) * CAPTION_LINE;
  return {
    width,
    height,
    left: leftMargin,
    right: width - 16 - legendWidth,
    top: 40,
    bottom: height - 42 - captionLines.length * CAPTION_LINE,
    captionLines,
  };
}

function frameParts(frame: ChartFrame, l: Layout): string[] {
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${l.width}" height="${l.height}" viewBox="0 0 ${l.width} ${l.height}" ${FONT}>`,
    `<rect width="${l.width}" height="${l.height}" fill="#ffffff"/>`,
    `<text x="${l.width / 2}" y="22" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(frame.title)}</text>`,
  ];
  l.captionLines.forEach((line, i) => {
    const y = l.height - 8 - (l.captionLines.length - 1 - i) * CAPTION_LINE;
    parts.push(`<text x="10" y="${y}" font-size="11" fill="#555555">${escapeXml(line)}</text>`);
  });
  return parts;
}

function legendParts(names: readonly { name: string; color: string; dashed?: boolean }[], x: number, y: number): string[] {
  const parts: string[] = [];
  names.forEach((s, i) => {
    const yy = y + i * 18;
    const dash = s.dashed ? ' stroke-dasharray="5 3"' : '';
    parts.push(`<line x1="${x}" y1="${yy}" x2="${x + 18}" y2="${yy}" stroke="${s.color}" stroke-width="3"${dash}/>`);
    parts.push(`<text x="${x + 24}" y="${yy + 4}">${escapeXml(s.name)}</text>`);
  });
  return parts;
}

function legendWidthOf(names: readonly string[]): number {
  if (names.length === 0) return 0;
  return Math.min(230, 34 + Math.max(...names.map((n) => n.length)) * 6.6);
}

function noData(l: Layout): string {
  return `<text x="${(l.left + l.right) / 2}" y="${(l.top + l.bottom) / 2}" text-anchor="middle" fill="#888888">no data</text>`;
}

function xyChart(opts: XYChartOptions, scatter: boolean): string {
  const xLog = opts.xLog ?? false;
  const yLog = opts.yLog ?? false;
  const series = opts.series.map((s) => ({ ...s, points: s.points.filter(([x, y]) => usable(x, xLog) && usable(y, yLog)) }));
  const xs = series.flatMap((s) => s.points.map((p) => p[0])).concat((opts.xInclude ?? []).filter((v) => usable(v, xLog)));
  const ys = series.flatMap((s) => s.points.map((p) => p[1])).concat((opts.yInclude ?? []).filter((v) => usable(v, yLog)));
  const shown = series.filter((s) => s.points.length > 0);
  const l = layout(opts, 70, legendWidthOf(shown.map((s) => s.name)));
  const xAxis = makeAxis(xs, xLog, 8);
  const yAxis = makeAxis(ys, yLog, 6);
  const sx = scale(xAxis, l.left, l.right);
  const sy = scale(yAxis, l.bottom, l.top);
  const parts = frameParts(opts, l);
  // grid + ticks
  for (const t of xAxis.ticks) {
    const x = fmt(sx(t));
    parts.push(`<line x1="${x}" y1="${l.top}" x2="${x}" y2="${l.bottom}" stroke="#e6e6e6"/>`);
    parts.push(`<text x="${x}" y="${l.bottom + 16}" text-anchor="middle">${tickLabel(t)}</text>`);
  }
  for (const t of yAxis.ticks) {
    const y = fmt(sy(t));
    parts.push(`<line x1="${l.left}" y1="${y}" x2="${l.right}" y2="${y}" stroke="#e6e6e6"/>`);
    parts.push(`<text x="${l.left - 6}" y="${Number(y) + 4}" text-anchor="end">${tickLabel(t)}</text>`);
  }
  parts.push(`<rect x="${l.left}" y="${l.top}" width="${l.right - l.left}" height="${l.bottom - l.top}" fill="none" stroke="#333333"/>`);
  parts.push(`<text x="${(l.left + l.right) / 2}" y="${l.bottom + 34}" text-anchor="middle">${escapeXml(opts.xLabel)}</text>`);
  const yMid = (l.top + l.bottom) / 2;
  parts.push(`<text x="16" y="${yMid}" text-anchor="middle" transform="rotate(-90 16 ${yMid})">${escapeXml(opts.yLabel)}</text>`);
  if (shown.length === 0) parts.push(noData(l));
  series.forEach((s, i) => {
    if (s.points.length === 0) return;
    const color = colorOf(i);
    if (!scatter && s.points.length > 1) {
      const d = s.points.map(([x, y]) => `${fmt(sx(x))},${fmt(sy(y))}`).join(' ');
      const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
      parts.push(`<polyline points="${d}" fill="none" stroke="${color}" stroke-width="2"${dash}/>`);
    }
    if (scatter || s.markers || s.points.length === 1) {
      for (const [x, y] of s.points) {
        parts.push(`<circle cx="${fmt(sx(x))}" cy="${fmt(sy(y))}" r="5" fill="${color}" fill-opacity="0.85" stroke="#ffffff"/>`);
      }
    }
  });
  const legend = series.map((s, i) => ({ name: s.name, color: colorOf(i), dashed: s.dashed, shown: s.points.length > 0 })).filter((s) => s.shown);
  parts.push(...legendParts(legend, l.right + 12, l.top + 8));
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

/** Lines through each series' points in order (x as given); markers on request. */
export function lineChart(opts: XYChartOptions): string {
  return xyChart(opts, false);
}

/** Markers only, one colour per series. */
export function scatterChart(opts: XYChartOptions): string {
  return xyChart(opts, true);
}

/** Horizontal grouped bars: one row per category, one bar per series; value axis starts at 0. */
export function barChart(opts: BarChartOptions): string {
  const values = opts.series.flatMap((s) => s.values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v)));
  const labelWidth = Math.min(260, 16 + Math.max(0, ...opts.categories.map((c) => c.length)) * 6.4);
  const l = layout(opts, labelWidth, legendWidthOf(opts.series.map((s) => s.name)));
  const axis = makeAxis([0, ...values.map((v) => Math.max(0, v))], false, 8);
  const sx = scale(axis, l.left, l.right);
  const parts = frameParts(opts, l);
  for (const t of axis.ticks) {
    const x = fmt(sx(t));
    parts.push(`<line x1="${x}" y1="${l.top}" x2="${x}" y2="${l.bottom}" stroke="#e6e6e6"/>`);
    parts.push(`<text x="${x}" y="${l.bottom + 16}" text-anchor="middle">${tickLabel(t)}</text>`);
  }
  parts.push(`<text x="${(l.left + l.right) / 2}" y="${l.bottom + 34}" text-anchor="middle">${escapeXml(opts.xLabel)}</text>`);
  if (opts.yLabel) parts.push(`<text x="10" y="${l.top - 8}">${escapeXml(opts.yLabel)}</text>`);
  const rows = Math.max(1, opts.categories.length);
  const band = (l.bottom - l.top) / rows;
  const nSeries = Math.max(1, opts.series.length);
  const barH = Math.max(2, Math.min(16, (band * 0.8) / nSeries));
  opts.categories.forEach((cat, r) => {
    const y0 = l.top + r * band + (band - barH * nSeries) / 2;
    parts.push(`<text x="${l.left - 8}" y="${fmt(l.top + (r + 0.5) * band + 4)}" text-anchor="end">${escapeXml(cat)}</text>`);
    opts.series.forEach((s, i) => {
      const v = s.values[r];
      if (typeof v !== 'number' || !Number.isFinite(v)) return;
      const w = Math.max(0, sx(Math.max(0, v)) - l.left);
      const y = y0 + i * barH;
      parts.push(`<rect x="${l.left}" y="${fmt(y)}" width="${fmt(w)}" height="${fmt(barH - 1)}" fill="${colorOf(i)}"/>`);
      parts.push(`<text x="${fmt(l.left + w + 4)}" y="${fmt(y + barH / 2 + 4)}" font-size="10" fill="#333333">${tickLabel(v)}</text>`);
    });
  });
  parts.push(`<line x1="${l.left}" y1="${l.top}" x2="${l.left}" y2="${l.bottom}" stroke="#333333"/>`);
  parts.push(`<line x1="${l.left}" y1="${l.bottom}" x2="${l.right}" y2="${l.bottom}" stroke="#333333"/>`);
  if (values.length === 0) parts.push(noData(l));
  parts.push(...legendParts(opts.series.map((s, i) => ({ name: s.name, color: colorOf(i) })), l.right + 12, l.top + 8));
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
