/**
 * The REST end-to-end tests rely on Prism to reject any response that breaks the generated document. This proves
 * the harness does that: an upstream answering a wrong body gets a 500 with the violations listed.
 */
import { createServer } from 'node:http';
import { describe, expect, it } from 'vitest';
import { startPrismProxy } from '../support/prism.ts';

describe('Prism proxy harness', () => {
  it('turns a response that breaks the contract into an error naming the violation', async () => {
    const upstream = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ ok: true, result: { status: 'broken' } }));
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const { port } = upstream.address() as { port: number };
    const prism = await startPrismProxy(`http://127.0.0.1:${port}`);
    try {
      const res = await fetch(`${prism.url}/health`);
      expect(res.status).toBe(500);
      const violations = JSON.parse(res.headers.get('sl-violations') ?? '[]') as Array<{ message: string }>;
      expect(violations.map((v) => v.message).join('\n')).toContain("required property 'meta'");
    } finally {
      await prism.close();
      upstream.close();
    }
  });
});
