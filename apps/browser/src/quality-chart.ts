import type { RatingRecord } from './session-log.js';

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 320;
const HEIGHT = 150;
const PAD = { left: 30, right: 10, top: 10, bottom: 22 };
/** Only the latest ratings are drawn, so the chart stays readable. */
export const CHART_WINDOW = 100;

function el<K extends keyof SVGElementTagNameMap>(name: K, attrs: Record<string, string | number>): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  return node;
}

/**
 * Draws the personal learner's mean quality after each rating (the line) and each rating
 * (a dot on it: green 👍, red 👎) into `svg`, replacing what was there.
 */
export function renderQualityChart(svg: SVGSVGElement, ratings: readonly RatingRecord[]): void {
  const shown = ratings.slice(-CHART_WINDOW);
  svg.replaceChildren();
  svg.setAttribute('viewBox', `0 0 ${WIDTH} ${HEIGHT}`);
  svg.dataset['points'] = String(shown.length);
  svg.dataset['total'] = String(ratings.length);
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const y = (v: number): number => PAD.top + (1 - v) * plotH;
  const x = (i: number): number => PAD.left + (shown.length <= 1 ? plotW / 2 : (i / (shown.length - 1)) * plotW);

  for (const level of [0, 0.5, 1]) {
    svg.append(el('line', { x1: PAD.left, x2: WIDTH - PAD.right, y1: y(level), y2: y(level), class: 'grid' }));
    const label = el('text', { x: PAD.left - 6, y: y(level) + 4, class: 'axis', 'text-anchor': 'end' });
    label.textContent = level.toFixed(1);
    svg.append(label);
  }
  const caption = el('text', { x: PAD.left + plotW / 2, y: HEIGHT - 4, class: 'axis', 'text-anchor': 'middle' });
  caption.textContent = shown.length === 0 ? 'rate a response to start the chart' : `ratings ${ratings.length - shown.length + 1}–${ratings.length}`;
  svg.append(caption);
  if (shown.length === 0) return;

  const points = shown.map((r, i) => `${x(i).toFixed(1)},${y(r.avgQuality).toFixed(1)}`).join(' ');
  svg.append(el('polyline', { points, class: 'avg-line' }));
  shown.forEach((r, i) => {
    const dot = el('circle', { cx: x(i), cy: y(r.avgQuality), r: 4, class: r.quality === 1 ? 'dot up' : 'dot down' });
    const title = el('title', {});
    title.textContent = `${r.quality === 1 ? 'good' : 'bad'} (“${r.prompt}”) — mean quality ${r.avgQuality.toFixed(3)}`;
    dot.append(title);
    svg.append(dot);
  });
}
