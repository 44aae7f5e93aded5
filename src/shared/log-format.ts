/**
 * Human-readable log lines for a terminal, without pino-pretty: pino still writes (and redacts) JSON, this stream
 * turns each line into `HH:MM:SS LEVEL message` with one indented `key: value` line per field.
 * Used only when stdout is a TTY; everywhere else the logs stay one JSON object per line.
 */
import type { DestinationStream } from 'pino';

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
/** Fields every line carries: shown in the head or not at all. */
const HIDDEN = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'service']);

const valueText = (value: unknown): string => {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && 'message' in value && typeof value.message === 'string') {
    return value.message;
  }
  return JSON.stringify(value);
};

/** One pino JSON line as text for a person (a line that is not JSON passes through). */
export function formatLogLine(line: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.endsWith('\n') ? line : `${line}\n`;
  }
  const time = typeof entry.time === 'number' ? new Date(entry.time).toTimeString().slice(0, 8) : '--:--:--';
  const level = (LEVELS[entry.level as number] ?? String(entry.level)).padEnd(5);
  const fields = Object.entries(entry)
    .filter(([key]) => !HIDDEN.has(key))
    .map(([key, value]) => `\n    ${key}: ${valueText(value)}`)
    .join('');
  return `${time} ${level} ${typeof entry.msg === 'string' ? entry.msg : ''}${fields}\n`;
}

export function prettyDestination(out: { write(chunk: string): unknown }): DestinationStream {
  return {
    write(chunk: string) {
      for (const line of chunk.split('\n')) if (line) out.write(formatLogLine(line));
    },
  };
}
