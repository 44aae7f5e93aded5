import { Client, LogLevel } from '@notionhq/client';
import type { Sandbox } from '../../tools/notion-sandbox/index.ts';

/** An SDK client against the sandbox that never retries (so tests see every error) and stays quiet. */
export function sdk(sb: Sandbox, auth = sb.token, notionVersion?: string): Client {
  return new Client({ auth, baseUrl: sb.url, retry: false, logLevel: LogLevel.ERROR, notionVersion });
}

export const rt = (content: string) => [{ type: 'text' as const, text: { content } }];
