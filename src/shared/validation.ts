/**
 * Turns JSON Schema (ajv) errors into the `validation_failed` error both surfaces return: the JSON pointer of each
 * failing value, where it sits (body, query, path, arguments) and a sentence a caller can act on.
 */
import type { ErrorObject, Options } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { GatewayError } from './errors.ts';

export interface ValidationIssue {
  location: 'body' | 'query' | 'path' | 'arguments';
  pointer: string;
  message: string;
  /** The values (or property names) that would have been accepted there. */
  valid_choices?: string[];
}

/** `locate` splits an ajv instancePath into where the value lives and its pointer inside that place. */
export function issuesFromAjv(
  errors: ErrorObject[],
  locate: (instancePath: string) => Pick<ValidationIssue, 'location' | 'pointer'>,
): ValidationIssue[] {
  return errors.map((e) => {
    const { location, pointer } = locate(e.instancePath);
    const params = e.params as Record<string, unknown>;
    switch (e.keyword) {
      case 'required':
        if (params.missingProperty === 'requestBody')
          return { location, pointer: '', message: 'a JSON body is required' };
        return { location, pointer: `${pointer}/${params.missingProperty}`, message: 'is required' };
      case 'additionalProperties': {
        // The schema (ajv's verbose errors) names the properties that exist: a short list is worth saying.
        const known = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {});
        const hint = known.length > 0 && known.length <= 8 ? `; use one of: ${known.join(', ')}` : '';
        return {
          location,
          pointer: `${pointer}/${params.additionalProperty}`,
          message: `is not a known property${hint}`,
          ...(known.length > 0 ? { valid_choices: known } : {}),
        };
      }
      case 'enum': {
        const allowed = (params.allowedValues as unknown[]).map(String);
        return { location, pointer, message: `must be one of: ${allowed.join(', ')}`, valid_choices: allowed };
      }
      case 'discriminator': {
        // A union's tag (a job's `kind`) that names no branch: the branches say which values exist.
        const tag = String(params.tag);
        const branches = ((e.parentSchema as { oneOf?: unknown[] } | undefined)?.oneOf ?? []) as Array<{
          properties?: Record<string, { const?: unknown; enum?: unknown[] }>;
        }>;
        const values = branches.flatMap((b) => {
          const member = b.properties?.[tag];
          return member?.enum ?? (member?.const === undefined ? [] : [member.const]);
        });
        const choices = values.length ? `: ${values.join(', ')}` : '';
        const missing = params.tagValue === undefined;
        return {
          location,
          pointer: `${pointer}/${tag}`,
          message: missing ? `is required, one of${choices}` : `must be one of${choices}`,
          valid_choices: values.map(String),
        };
      }
      default:
        return { location, pointer, message: e.message ?? 'is invalid' };
    }
  });
}

export function validationFailed(issues: ValidationIssue[]): GatewayError {
  const first = issues[0];
  const where = first ? `${first.location}${first.pointer ? ` ${first.pointer}` : ''}` : 'request';
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  return new GatewayError('validation_failed', `Invalid request: ${where} ${first?.message ?? 'is invalid'}${more}.`, {
    pointer: first?.pointer ?? '',
    location: first?.location ?? 'body',
    ...(first?.valid_choices ? { valid_choices: first.valid_choices } : {}),
    errors: issues,
  });
}

/** The validator both surfaces use: JSON Schema 2020-12 (OpenAPI 3.1) with the formats the contract emits. */
export function createAjv(options: Options = {}): Ajv2020 {
  // discriminator: a union (job kinds) is checked against the branch its tag names, so errors point into that one;
  // verbose: an error carries its schema, so a bad tag can be answered with the values that exist.
  const ajv = new Ajv2020({ ...options, strict: false, allErrors: true, discriminator: true, verbose: true });
  addFormats.default(ajv);
  // OpenAPI's numeric formats only describe the size of a number; `type` and min/max already constrain it.
  for (const name of ['int32', 'int64', 'float', 'double'])
    ajv.addFormat(name, { type: 'number', validate: () => true });
  return ajv;
}

/**
 * PostgreSQL `text` cannot hold U+0000, and a lone UTF-16 surrogate has no UTF-8 form (it would be stored as U+FFFD,
 * another value than the caller sent). A value the schema accepts can still carry them: both adapters run this over
 * every string (and object key) of a request after the schema check, so such a value is a `validation_failed` that
 * names it instead of a database error.
 */
export function unstorableTextIssues(value: unknown, location: ValidationIssue['location']): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const bad = (s: string) => s.includes('\u0000') || !s.isWellFormed();
  // A bad key is shown JSON-escaped so the pointer in the message stays printable.
  const token = (key: string) =>
    (bad(key) ? JSON.stringify(key).slice(1, -1) : key).replace(/~/g, '~0').replace(/\//g, '~1');
  const visit = (v: unknown, pointer: string) => {
    if (typeof v === 'string') {
      if (bad(v))
        issues.push({ location, pointer, message: 'must not contain NUL (U+0000) or unpaired surrogate characters' });
      return;
    }
    if (v === null || typeof v !== 'object') return; // nesting is bounded by the body reader
    for (const [key, child] of Object.entries(v)) {
      const at = `${pointer}/${token(key)}`;
      if (!Array.isArray(v) && bad(key))
        issues.push({ location, pointer: at, message: 'is a property name with NUL (U+0000) or unpaired surrogates' });
      visit(child, at);
    }
  };
  visit(value, '');
  return issues;
}
