/** Row checks shared by the crash, storm and replica tests. */
import { expect } from 'vitest';
import { api } from './gateway.ts';

/** The data source holds exactly `count` rows titled `prefix…`, each title once: no write lost, none duplicated. */
export async function expectEachRowOnce(baseUrl: string, dataSourceId: string, prefix: string, count: number) {
  const rows = await api(baseUrl)('POST', '/v1/query', {
    data_source_id: dataSourceId,
    filter: { Name: { starts_with: prefix } },
    page_size: 100,
  });
  const names = rows.json.result.rows.map((r: { title: string }) => r.title);
  expect(names).toHaveLength(count);
  expect(new Set(names).size).toBe(count);
}
