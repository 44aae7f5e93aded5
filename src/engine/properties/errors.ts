/**
 * `invalid_property` errors a model can act on without another lookup: every one names the property, says what was
 * expected, lists the valid choices when there is a closed set, suggests the closest one and shows a working example.
 */
import { GatewayError } from '../../shared/errors.ts';

export interface InvalidPropertyDetails {
  /** The property as the caller named it. */
  property: string;
  /** What the property accepts, in words. */
  expected: string;
  /** The closed set of valid names (properties, options, types, functions…), when there is one. */
  valid_choices?: string[];
  /** A corrected input for this property. */
  example?: unknown;
  /** The closest valid choice to what was given. */
  did_you_mean?: string;
}

/** At most this many choices are listed in the message (all of them stay in `details.valid_choices`). */
const LISTED_IN_MESSAGE = 30;

export function invalidProperty(message: string, details: InvalidPropertyDetails): GatewayError {
  const { valid_choices, example, did_you_mean, ...rest } = details;
  const out: Record<string, unknown> = { ...rest };
  if (valid_choices) out.valid_choices = valid_choices;
  if (did_you_mean !== undefined) out.did_you_mean = did_you_mean;
  if (example !== undefined) out.example = example;
  return new GatewayError('invalid_property', message, out);
}

/** A value as a short JSON snippet for messages. */
export function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > 80 ? `${s.slice(0, 77)}…` : s;
}

export const quoteList = (names: readonly string[]): string => {
  const shown = names.slice(0, LISTED_IN_MESSAGE).map((n) => JSON.stringify(n));
  return names.length > LISTED_IN_MESSAGE
    ? `${shown.join(', ')} and ${names.length - LISTED_IN_MESSAGE} more`
    : shown.join(', ');
};

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

const fold = (s: string) =>
  s
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\s_-]+/g, '');

/** The candidate closest to `given` (case, spaces, `_` and `-` ignored), or undefined when none is close. */
export function closest(given: string, candidates: readonly string[]): string | undefined {
  const g = fold(given);
  if (!g) return undefined;
  let best: string | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const f = fold(c);
    let score = editDistance(g, f);
    if (f && (f.includes(g) || g.includes(f))) score = Math.min(score, 1 + Math.abs(f.length - g.length) / 10);
    if (score < bestScore) {
      bestScore = score;
      best = c;
    }
  }
  if (best === undefined) return undefined;
  return bestScore <= Math.max(2, Math.floor(g.length / 3)) ? best : undefined;
}

const didYouMean = (s: string | undefined) => (s === undefined ? '' : ` Did you mean ${JSON.stringify(s)}?`);

/** A property name the data source does not have. */
export function unknownProperty(given: string, names: readonly string[], context = 'this data source'): GatewayError {
  const suggestion = closest(given, names);
  return invalidProperty(
    `Unknown property ${JSON.stringify(given)} in ${context}.${didYouMean(suggestion)} Its properties are: ${quoteList(names)}.`,
    {
      property: given,
      expected: `one of the property names of ${context}`,
      valid_choices: [...names],
      ...(suggestion !== undefined ? { did_you_mean: suggestion } : {}),
    },
  );
}

/** A value whose shape does not fit the property's type. */
export function wrongValue(
  property: string,
  type: string,
  expected: string,
  example: unknown,
  received: unknown,
  extra = '',
): GatewayError {
  return invalidProperty(
    `Property ${JSON.stringify(property)} is ${article(type)} ${type} property: expected ${expected}, got ${describe(received)}.${extra ? ` ${extra}` : ''} Example: ${describe({ [property]: example })}.`,
    { property, expected, example: { [property]: example } },
  );
}

/** A select, multi-select or status name that is not one of the property's options. */
export function unknownOption(
  property: string,
  type: 'select' | 'multi_select' | 'status',
  given: string,
  options: readonly string[],
  example: unknown,
): GatewayError {
  const suggestion = closest(given, options);
  const why =
    type === 'status'
      ? 'Notion never creates status options when a page is written, and the API cannot add options to an existing status property.'
      : 'Notion would create it as a new option; this call was made with new options turned off.';
  const list = options.length ? `Valid options: ${quoteList(options)}.` : 'The property has no options yet.';
  return invalidProperty(
    `Property ${JSON.stringify(property)} (${type}) has no option ${JSON.stringify(given)}.${didYouMean(suggestion)} ${list} ${why}`,
    {
      property,
      expected: `${type === 'multi_select' ? 'names' : 'a name'} from the property's options`,
      valid_choices: [...options],
      ...(suggestion !== undefined ? { did_you_mean: suggestion } : {}),
      example: { [property]: example },
    },
  );
}

/** A write to a property whose value Notion computes. */
export function computedProperty(property: string, type: string, writable: readonly string[]): GatewayError {
  return invalidProperty(
    `Property ${JSON.stringify(property)} is ${article(type)} ${type} property: Notion computes its value, so it cannot be written. Leave it out${type === 'formula' || type === 'rollup' ? ' (change its schema on the data source instead)' : ''}. Writable properties: ${quoteList(writable)}.`,
    { property, expected: 'no value: the property is computed by Notion', valid_choices: [...writable] },
  );
}

const article = (word: string) => (/^[aeiou]/i.test(word) ? 'an' : 'a');
