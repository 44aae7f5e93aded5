/**
 * A per-request observer of the Notion calls an operation makes, so one place (the engine's before-image recorder)
 * sees every write, whichever operation sends it. It rides on AsyncLocalStorage: the call policy's fetch asks for the
 * current observer, so no operation has to pass anything along.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface NotionCall {
  method: string;
  /** Path without the query string, e.g. `/v1/pages/…`. */
  path: string;
  /** The parsed JSON body sent, or undefined. */
  body: unknown;
}

export interface NotionCallObserver {
  /** Called once per attempt before a write is sent; reads it makes through a client are observed as reads. */
  beforeWrite(call: NotionCall): Promise<void>;
  /** Called with every 2xx answer (reads and writes), parsed. */
  answered(call: NotionCall, response: unknown): void;
}

const current = new AsyncLocalStorage<NotionCallObserver | undefined>();

/** Runs `fn` with `observer` watching its Notion calls (undefined: none, e.g. inside an observer's own reads). */
export function observeNotionCalls<T>(observer: NotionCallObserver | undefined, fn: () => Promise<T>): Promise<T> {
  return current.run(observer, fn);
}

export const currentNotionObserver = (): NotionCallObserver | undefined => current.getStore();
