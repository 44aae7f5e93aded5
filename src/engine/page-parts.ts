/**
 * Long page bodies in parts. ChatGPT Actions refuse answers of 100,000 characters or more, and a page of a few
 * thousand blocks is longer than that as Markdown. A read answers the longest part that fits the size limit, cut at a
 * line end, and an opaque cursor for the rest. The cursor carries a digest of the whole body it was cut from, so
 * parts of two versions of a page are never stitched together (Notion's last_edited_time is rounded to the minute,
 * too coarse to tell).
 */
import { createHash } from 'node:crypto';
import { GatewayError } from '../shared/errors.ts';

interface Cursor {
  /** Where the next part starts, in UTF-16 code units of the body. */
  offset: number;
  /** Digest of the body the cursor was cut from. */
  digest: string;
}

const digestOf = (markdown: string): string => createHash('sha256').update(markdown).digest('base64url').slice(0, 16);

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.offset, cursor.digest])).toString('base64url');
}

function decodeCursor(raw: string): Cursor {
  try {
    const [offset, digest] = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as unknown[];
    if (Number.isSafeInteger(offset) && (offset as number) > 0 && typeof digest === 'string') {
      return { offset: offset as number, digest };
    }
  } catch {
    // fall through to the refusal below
  }
  throw new GatewayError(
    'validation_failed',
    'cursor: not a cursor this gateway issued. Pass the next_cursor of the previous part unchanged, or leave it out to read from the start.',
    { pointer: '/cursor', field: 'cursor' },
  );
}

export interface BodyPart {
  /** This part of the body. */
  text: string;
  /** Present when more of the body follows: pass it as `cursor` to read the next part. */
  next_cursor?: string;
}

/**
 * The part of `markdown` that starts at `cursor` (the start when absent) and is as long as `fits` allows. `fits` says
 * whether the whole answer, with this text in it, is within the size limit.
 */
export function bodyPart(markdown: string, cursor: string | undefined, fits: (part: BodyPart) => boolean): BodyPart {
  const digest = digestOf(markdown);
  let start = 0;
  if (cursor !== undefined) {
    const at = decodeCursor(cursor);
    if (at.digest !== digest || at.offset > markdown.length) {
      throw new GatewayError(
        'cursor_stale',
        'The page changed since this cursor was issued: read it again from the start (leave cursor out).',
        { field: 'cursor' },
      );
    }
    start = at.offset;
  }
  const whole = { text: markdown.slice(start) };
  if (fits(whole)) return whole;

  const partTo = (end: number): BodyPart => ({
    text: markdown.slice(start, end),
    next_cursor: encodeCursor({ offset: end, digest }),
  });
  // The longest end that fits (JSON escaping makes the size of a slice uneven, so search rather than compute).
  let low = start + 1;
  let high = markdown.length;
  if (!fits(partTo(low))) return partTo(low); // even one character is too much: the size policy answers
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (fits(partTo(middle))) low = middle;
    else high = middle - 1;
  }
  // End at a line end when there is one in the second half of the part, so a Markdown line is never split.
  const lineEnd = markdown.lastIndexOf('\n', low - 1);
  let end = lineEnd >= start + (low - start) / 2 ? lineEnd + 1 : low;
  // Never split a surrogate pair.
  if (end < markdown.length && /[\uDC00-\uDFFF]/.test(markdown[end]!)) end = end - 1 > start ? end - 1 : end + 1;
  return partTo(end);
}
