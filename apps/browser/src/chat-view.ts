import type { ChatResponse, Verdict } from './chat-engine.js';
import { RESPONSE_STYLES, styleById } from './response-styles.js';
import type { TranscriptEntry } from './session-log.js';

function node<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (className !== undefined) element.className = className;
  if (text !== undefined) element.textContent = text;
  return element;
}

const SVG = 'http://www.w3.org/2000/svg';
/** A thumb outline (drawn, not an emoji: headless Linux often has no emoji font). */
const THUMB_PATH = 'M2 10h4v11H2zM8 21h9.3a2 2 0 0 0 2-1.6l1.6-7A2 2 0 0 0 19 10h-5.4l.8-4a2.2 2.2 0 0 0-4.2-1.1L8 10z';

function thumb(direction: 'up' | 'down'): SVGSVGElement {
  const icon = document.createElementNS(SVG, 'svg');
  icon.setAttribute('viewBox', '0 0 24 24');
  icon.setAttribute('class', `thumb ${direction}`);
  icon.setAttribute('aria-hidden', 'true');
  const path = document.createElementNS(SVG, 'path');
  path.setAttribute('d', THUMB_PATH);
  icon.append(path);
  return icon;
}

function ratingButton(verdict: Verdict): HTMLButtonElement {
  const button = node('button', verdict);
  button.type = 'button';
  button.dataset['testid'] = verdict === 'up' ? 'rate-up' : 'rate-down';
  button.title = verdict === 'up' ? 'Good response (quality 1)' : 'Bad response (quality 0)';
  button.setAttribute('aria-label', verdict === 'up' ? 'thumbs up' : 'thumbs down');
  button.append(thumb(verdict), node('span', undefined, verdict === 'up' ? 'Good' : 'Bad'));
  return button;
}

function ratingMark(rating: TranscriptEntry['rating']): string {
  return rating === 'up' ? 'rated good' : rating === 'down' ? 'rated bad' : 'not rated';
}

/** The conversation: the user's queries and the rated (or rateable) responses. */
export class ChatView {
  constructor(private readonly list: HTMLElement) {}

  /** A message from an earlier visit: read-only (its hidden state was not kept). */
  addPast(entry: TranscriptEntry): void {
    this.list.append(this.userMessage(entry.query));
    const article = node('article', 'msg bot past');
    article.dataset['testid'] = 'past-response';
    const header = node('header');
    header.append(node('span', 'style-badge', styleById(entry.style)?.label ?? entry.style), node('span', 'meta', `earlier visit · ${ratingMark(entry.rating)}`));
    article.append(header, node('p', 'text', entry.text));
    this.list.append(article);
  }

  /** A new response with its style probabilities, sources and thumbs up/down buttons. */
  addResponse(response: ChatResponse, onRate: (verdict: Verdict, article: HTMLElement) => void): HTMLElement {
    this.list.append(this.userMessage(response.query));
    const article = node('article', 'msg bot');
    article.dataset['testid'] = 'response';
    article.dataset['responseId'] = String(response.id);
    article.dataset['style'] = response.style.id;

    const header = node('header');
    const sources = response.sources.slice(0, 3).map((s) => `${s.id} ${(s.weight * 100).toFixed(0)}%`).join(', ');
    header.append(node('span', 'style-badge', response.style.label), node('span', 'meta', sources.length > 0 ? `adapter from ${sources}` : 'no pattern matched'));
    article.append(header, node('p', 'text', response.text));

    const bars = node('div', 'probs');
    RESPONSE_STYLES.forEach((style, i) => {
      const p = response.probabilities[i] ?? 0;
      const row = node('div', style.id === response.style.id ? 'prob chosen' : 'prob');
      const bar = node('span', 'bar');
      bar.style.width = `${(p * 100).toFixed(1)}%`;
      row.append(node('span', 'label', style.label), node('span', 'track'), node('span', 'value', p.toFixed(2)));
      (row.children[1] as HTMLElement).append(bar);
      bars.append(row);
    });
    article.append(bars);

    const actions = node('div', 'rate');
    const up = ratingButton('up');
    const down = ratingButton('down');
    up.addEventListener('click', () => onRate('up', article));
    down.addEventListener('click', () => onRate('down', article));
    actions.append(up, down, node('span', 'verdict'));
    article.append(actions);
    this.list.append(article);
    article.scrollIntoView({ block: 'end' });
    return article;
  }

  /** Locks a response's buttons once rated and says what the rating did. */
  markRated(article: HTMLElement, verdict: Verdict, summary: string): void {
    article.dataset['rated'] = verdict;
    article.querySelectorAll('button').forEach((b) => (b.disabled = true));
    const verdictEl = article.querySelector('.verdict');
    if (verdictEl !== null) verdictEl.textContent = summary;
  }

  private userMessage(query: string): HTMLElement {
    const article = node('article', 'msg user');
    article.append(node('p', 'text', query));
    return article;
  }
}
