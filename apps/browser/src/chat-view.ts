import type { ChatReply, Verdict } from './chat-engine.js';
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
  button.title = verdict === 'up' ? 'Good reply (quality 1)' : 'Bad reply (quality 0)';
  button.setAttribute('aria-label', verdict === 'up' ? 'thumbs up' : 'thumbs down');
  button.append(thumb(verdict), node('span', undefined, verdict === 'up' ? 'Good' : 'Bad'));
  return button;
}

function ratingMark(rating: TranscriptEntry['rating']): string {
  return rating === 'up' ? 'rated good' : rating === 'down' ? 'rated bad' : 'not rated';
}

/** Pattern ids shown in a reply's small print; the rest are counted (and listed in its tooltip). */
export const SHOWN_PATTERN_IDS = 4;

/** The reply as the model wrote it: the prompt (dimmed) and the generated characters. */
function replyText(prompt: string, text: string): HTMLParagraphElement {
  const p = node('p', 'text');
  p.dataset['testid'] = 'reply-text';
  const generated = node('span', 'generated', text);
  generated.dataset['testid'] = 'reply-generated';
  p.append(node('span', 'prompt', prompt), generated);
  return p;
}

function small(testid: string, text: string): HTMLParagraphElement {
  const p = node('p', 'small', text);
  p.dataset['testid'] = testid;
  return p;
}

function patternsLine(ids: readonly string[]): HTMLParagraphElement {
  if (ids.length === 0) return small('reply-patterns', 'patterns: none retrieved');
  const more = ids.length - SHOWN_PATTERN_IDS;
  const line = small('reply-patterns', `patterns: ${ids.slice(0, SHOWN_PATTERN_IDS).join(', ')}${more > 0 ? ` +${more} more` : ''}`);
  line.title = ids.join('\n');
  return line;
}

/** The conversation: the user's messages and the model's rated (or rateable) replies. */
export class ChatView {
  constructor(private readonly list: HTMLElement) {}

  /** A reply from an earlier visit: read-only (its trajectory, which feedback needs, was not kept). */
  addPast(entry: TranscriptEntry): void {
    this.list.append(this.userMessage(entry.query));
    const article = node('article', 'msg bot past');
    article.dataset['testid'] = 'past-response';
    const header = node('header');
    header.append(node('span', 'meta', `earlier visit · ${ratingMark(entry.rating)}`));
    article.append(header, replyText(entry.prompt, entry.text));
    this.list.append(article);
  }

  /** A generated reply with its figures (small print) and thumbs up/down buttons. */
  addReply(reply: ChatReply, onRate: (verdict: Verdict, article: HTMLElement) => void): HTMLElement {
    this.list.append(this.userMessage(reply.query));
    const article = node('article', 'msg bot');
    article.dataset['testid'] = 'response';
    article.dataset['responseId'] = String(reply.id);
    article.dataset['tokensGenerated'] = String(reply.tokensGenerated);
    article.dataset['backend'] = reply.tfBackend;
    article.dataset['kind'] = reply.prompt.kind;

    const header = node('header');
    header.append(node('span', 'kind-badge', reply.prompt.kind), node('span', 'meta', `prompt “${reply.prompt.text}”${reply.prompt.trimmed ? ' (message cut to fit the model)' : ''}`));
    const dgr = `${reply.dgrRetrievals} DGR retrieval${reply.dgrRetrievals === 1 ? '' : 's'}`;
    const figures = `${reply.tokensGenerated} chars · ${reply.steps} steps · ${reply.latencyMs.toFixed(0)} ms on ${reply.tfBackend} · ${dgr}`;
    article.append(header, replyText(reply.prompt.text, reply.text), small('reply-meta', figures), patternsLine(reply.patterns));

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

  /** Locks a reply's buttons once rated and says what the rating did. */
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
