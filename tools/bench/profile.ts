/**
 * Where a server's CPU went, from a V8 `.cpuprofile` (written by `node --cpu-prof`): self time grouped by package or
 * source directory, and the hottest functions. Only samples inside `window` count (CLOCK_MONOTONIC microseconds, the
 * clock of both V8's profile timestamps and process.hrtime), so start-up does not drown the load phase.
 */
import { existsSync, readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** The current CLOCK_MONOTONIC time in microseconds, comparable with profile timestamps. */
export const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

function groupOf(url: string, functionName: string): string {
  if (!url) return functionName; // (garbage collector), (program), (idle), native code
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith('node:')) return 'node: internals';
  const own = /\/(src\/[^/]+|tools\/[^/]+)\//.exec(url);
  return own ? own[1]! : url;
}

export function printProfileSummary(file: string, label: string, window?: [number, number], top = 12): void {
  if (!existsSync(file)) {
    console.log(`(no CPU profile for ${label} at ${file})`);
    return;
  }
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const groups = new Map<string, number>();
  const functions = new Map<string, number>();
  let t = profile.startTime;
  let total = 0;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    t += delta;
    if (window && (t < window[0] || t > window[1])) return;
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    if (functionName === '(idle)') return;
    total += delta;
    const group = groupOf(url, functionName);
    groups.set(group, (groups.get(group) ?? 0) + delta);
    const fn = `${functionName || '(anonymous)'} ${url ? `${url.replace(/^.*node_modules\//, '')}:${lineNumber + 1}` : ''}`;
    functions.set(fn, (functions.get(fn) ?? 0) + delta);
  });
  const print = (title: string, entries: Map<string, number>) => {
    console.log(`  ${title}`);
    for (const [name, us] of [...entries].sort((a, b) => b[1] - a[1]).slice(0, top)) {
      console.log(
        `    ${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${name}`,
      );
    }
  };
  console.log(`\nCPU profile of ${label} (${(total / 1000).toFixed(0)} ms busy in the window, self time):`);
  print('by package / source directory', groups);
  print('hottest functions', functions);
}
