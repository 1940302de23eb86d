// The arguments section of an approval card: the redacted arguments as facts (one per top-level key, values as
// compact JSON), shortened to a budget, or dropped with a note when even that does not fit.
import type { CardElement, Fact } from './card-types.js';
import { compactJson, MAX_JSON_DEPTH, plainShort, plainText } from './card-text.js';

/** How much of the arguments a card shows. The builder tries budgets from generous to none until the card fits. */
export interface ArgumentBudget {
  /** Characters of each value's JSON (before the "… (N more chars)" note). */
  valueChars: number;
  /** Characters of each key. */
  keyChars: number;
  /** Top-level keys shown; the rest are counted ("… and N more arguments"). */
  maxKeys: number;
}

/**
 * Card elements for the redacted arguments: a FactSet of the first `budget.maxKeys` top-level keys (nested values as
 * compact JSON), notes for what was shortened or left out, or, with no budget, one line saying the arguments are too
 * large to show and giving their hash. Keys and values are markdown-neutralised. `argsRedacted` is what the store
 * holds: secrets are already masked, and nothing else is read.
 */
export function argumentElements(
  request: { id: string; argsRedacted: unknown; argsHash: string },
  budget: ArgumentBudget | undefined,
): CardElement[] {
  const heading: CardElement = {
    type: 'TextBlock',
    text: 'Arguments (redacted)',
    weight: 'bolder',
    spacing: 'medium',
  };
  if (budget === undefined) {
    return [
      heading,
      note(
        `Arguments too large to show on the card; hash ${plainText(request.argsHash)}. ` +
          `See them with: warden requests show ${plainText(request.id)}`,
      ),
    ];
  }
  const entries = topLevelEntries(request.argsRedacted);
  if (entries.length === 0) return [heading, note('No arguments.')];

  let shortened = false;
  let deep = false;
  const facts: Fact[] = entries.slice(0, budget.maxKeys).map(([key, value]) => {
    const json = compactJson(value);
    deep ||= json.deep;
    const name = key === '' ? '(empty key)' : key;
    shortened ||= name.length > budget.keyChars || json.text.length > budget.valueChars;
    return { title: plainShort(name, budget.keyChars), value: plainShort(json.text, budget.valueChars) };
  });

  const elements: CardElement[] = [heading, { type: 'FactSet', facts }];
  const notes: string[] = [];
  const hidden = entries.length - facts.length;
  if (hidden > 0) notes.push(`… and ${hidden} more argument${hidden === 1 ? '' : 's'} not shown.`);
  if (shortened) notes.push('Long values were shortened to fit the card.');
  if (deep) notes.push(`Values nested deeper than ${MAX_JSON_DEPTH} levels are shown as {…}.`);
  if (notes.length > 0) notes.push('The hash below covers the full arguments.');
  if (notes.length > 0) elements.push(note(notes.join(' ')));
  return elements;
}

/** Key/value pairs to show: an object's own keys, or the whole value under one title when it is not an object. */
function topLevelEntries(args: unknown): Array<[string, unknown]> {
  if (args === undefined) return [];
  if (args !== null && typeof args === 'object' && !Array.isArray(args)) return Object.entries(args);
  return [['(arguments)', args]];
}

/** A small subtle TextBlock for Warden's own notes (callers neutralise what they interpolate). */
function note(text: string): CardElement {
  return { type: 'TextBlock', text, isSubtle: true, size: 'small', wrap: true, spacing: 'small' };
}
