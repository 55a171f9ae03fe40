/**
 * The canned response styles the frozen head picks from. There is no language model
 * yet (a later issue adds one): a response is a template in the chosen style, so the
 * page shows how retrieval and feedback move the choice, not generated text.
 */
export interface ResponseStyle {
  id: string;
  label: string;
  render(query: string): string;
}

function quoted(query: string): string {
  const trimmed = query.trim().replace(/\s+/g, ' ');
  return trimmed.length > 80 ? `${trimmed.slice(0, 77)}…` : trimmed;
}

export const RESPONSE_STYLES: readonly ResponseStyle[] = [
  {
    id: 'concise',
    label: 'Concise',
    render: (q) => `Short answer to “${quoted(q)}”: the one thing that matters, in a sentence.`,
  },
  {
    id: 'step-by-step',
    label: 'Step by step',
    render: (q) => `For “${quoted(q)}”: 1. gather what you need. 2. do the first step. 3. check the result before moving on.`,
  },
  {
    id: 'friendly',
    label: 'Friendly',
    render: (q) => `Great question! “${quoted(q)}” is fun to figure out — let's walk through it together.`,
  },
  {
    id: 'formal',
    label: 'Formal',
    render: (q) => `Regarding “${quoted(q)}”: please find below a structured and precise account of the considerations involved.`,
  },
];

/** The style with this id; undefined for an unknown id (e.g. from an older saved transcript). */
export function styleById(id: string): ResponseStyle | undefined {
  return RESPONSE_STYLES.find((s) => s.id === id);
}
