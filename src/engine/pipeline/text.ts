/**
 * Text PostgreSQL cannot store (NUL, unpaired surrogates), refused for every operation before it runs: a
 * `validation_failed` naming the field instead of a database error. Both adapters reach it through `engine.invoke`.
 */
import { unstorableTextIssues, type ValidationIssue, validationFailed } from '../../shared/validation.ts';
import type { CallContext } from '../context.ts';

export function refuseUnstorableText(input: Record<string, unknown>, call: CallContext): void {
  // Group the top-level fields by where the caller put them, so each pointer is relative to its own place.
  const places = new Map<ValidationIssue['location'], Record<string, unknown>>();
  for (const [key, value] of Object.entries(input)) {
    const location = call.inputLocation?.(key) ?? 'arguments';
    const place = places.get(location) ?? {};
    place[key] = value;
    places.set(location, place);
  }
  const issues = [...places].flatMap(([location, fields]) => unstorableTextIssues(fields, location));
  if (issues.length) throw validationFailed(issues);
}
