/**
 * The people of each connection's workspace, for e-mails in friendly property values and filters
 * (src/engine/value-options.ts).
 */
import type { Client, UserObjectResponse } from '@notionhq/client';
import { LRUCache } from 'lru-cache';

/** What the cache needs of a resolved connection (src/engine/context.ts). */
interface PeopleSource {
  summary: { connection_id: string };
  notion(): Client;
}

export interface Person {
  id: string;
  name: string | null;
  email: string;
}

const USERS_TTL_MS = 5 * 60_000;

/**
 * Per connection: the people of its workspace (bots have no e-mail), five minutes at most. One per engine
 * (EngineServices.people), never shared between engines.
 */
export class PeopleCache {
  readonly #people = new LRUCache<string, Person[]>({ max: 1_000, ttl: USERS_TTL_MS });

  async of(connection: PeopleSource, fresh = false): Promise<Person[]> {
    const key = connection.summary.connection_id;
    const cached = fresh ? undefined : this.#people.get(key);
    if (cached) return cached;
    const found: Person[] = [];
    let cursor: string | undefined;
    // A workspace lists its users 100 at a time; 10 pages is far beyond any team that assigns people by e-mail.
    for (let page = 0; page < 10; page++) {
      const list = await connection.notion().users.list({ page_size: 100, start_cursor: cursor });
      for (const u of list.results as UserObjectResponse[]) {
        if (u.type === 'person' && u.person?.email)
          found.push({ id: u.id, name: u.name ?? null, email: u.person.email });
      }
      if (!list.has_more || !list.next_cursor) break;
      cursor = list.next_cursor;
    }
    this.#people.set(key, found);
    return found;
  }
}
