/**
 * The look-ups friendly property values may need, for one connection: people by e-mail (the workspace's users list,
 * cached a few minutes per connection) and related pages by exact title (a query of the relation's target data
 * source). Every write that takes friendly values (page create and update, upsert) builds them here, so a value that
 * works in one works in all.
 */
import { isFullPage, type PageObjectResponse } from '@notionhq/client';
import { GatewayError } from '../shared/errors.ts';
import { normaliseUuid } from '../shared/ids.ts';
import type { ResolvedConnection } from './context.ts';
import type { DataSourceCache } from './data-sources.ts';
import { titleOf } from './notion-objects.ts';
import type { PeopleCache, Person } from './people.ts';
import { type DataSourceSchema, pageIdOf, type ValueOptions } from './properties/index.ts';

/** The engine's look-up caches the friendly values use (EngineServices carries both). */
export interface LookupCaches {
  dataSources: DataSourceCache;
  people: PeopleCache;
}

/** The user id of an e-mail; an unknown e-mail is refused with the people the connection can see. */
async function userByEmail(
  people: PeopleCache,
  connection: ResolvedConnection,
  email: string,
  field: string,
): Promise<string> {
  const wanted = email.trim().toLowerCase();
  const match = (list: Person[]) => list.find((p) => p.email.toLowerCase() === wanted);
  let list = await people.of(connection);
  let found = match(list);
  // Someone may have joined since the list was cached: one fresh read before refusing.
  if (!found) {
    list = await people.of(connection, true);
    found = match(list);
  }
  if (found) return found.id;
  const known = list.map((p) => `${p.name ?? '(no name)'} <${p.email}>`);
  throw new GatewayError(
    'invalid_property',
    `Property ${JSON.stringify(field)} (people): no user of this workspace has the e-mail ${JSON.stringify(email)}. ${
      known.length
        ? `Known people: ${known.slice(0, 20).join(', ')}${known.length > 20 ? ', …' : ''}.`
        : 'The workspace lists no people.'
    } Give one of their e-mails or user ids.`,
    {
      property: field,
      expected: 'the e-mail or user id of a person of this workspace',
      known_people: list.slice(0, 50).map((p) => ({ id: p.id, name: p.name, email: p.email })),
      example: { [field]: [list[0]?.email ?? 'ada@example.com'] },
    },
  );
}

/** The page of `dataSourceId` titled exactly `title`; several → the same ambiguity error as notion_link. */
async function pageByTitle(
  dataSources: DataSourceCache,
  connection: ResolvedConnection,
  title: string,
  dataSourceId: string,
  field: string,
): Promise<string | null> {
  const schema = await dataSources.schemaOf(connection, dataSourceId);
  const titleProperty = Object.entries(schema).find(([, p]) => p.type === 'title')?.[0];
  if (!titleProperty) return null;
  const found = await connection.notion().dataSources.query({
    data_source_id: dataSourceId,
    filter: { property: titleProperty, title: { equals: title } },
    page_size: 5,
  });
  const exact = found.results.filter((r): r is PageObjectResponse => isFullPage(r) && titleOf(r) === title);
  if (exact.length <= 1) return exact[0]?.id ?? null;
  throw new GatewayError(
    'ambiguous_match',
    `${field}: ${exact.length}${found.has_more ? '+' : ''} pages are titled "${title}". Pass the id or URL of one.`,
    {
      property: field,
      expected: 'the id, URL or a unique exact title of a related page',
      candidates: exact.map((r) => ({ id: r.id, url: r.url })),
      example: { [field]: [exact[0]!.id] },
    },
    409,
  );
}

/** The value options of a write on `connection`: look-ups on, new select options only when the call asks. */
export function valueOptionsFor(
  { dataSources, people }: LookupCaches,
  connection: ResolvedConnection,
  input: { create_options?: boolean },
): ValueOptions {
  return {
    createOptions: input.create_options === true,
    resolveUser: (email, property) => userByEmail(people, connection, email, property),
    resolvePage: (title, dataSourceId, property) => pageByTitle(dataSources, connection, title, dataSourceId, property),
  };
}

type Filter = Record<string, unknown>;

/**
 * A friendly filter's relation and people conditions with their references resolved: `{"Project": "Alpha"}` became
 * `relation.contains "Alpha"`; Notion wants a page id there, so a URL or exact title of a page of the relation's
 * target is turned into one, and an e-mail into a user id (the same look-ups, and errors, as the writes).
 */
export async function resolveFilterReferences(
  caches: LookupCaches,
  connection: ResolvedConnection,
  filter: Filter | undefined,
  schema: DataSourceSchema,
): Promise<Filter | undefined> {
  if (!filter) return filter;
  if (Array.isArray(filter.and)) {
    return {
      ...filter,
      and: await Promise.all(filter.and.map((f: Filter) => resolveFilterReferences(caches, connection, f, schema))),
    };
  }
  const name = typeof filter.property === 'string' ? filter.property : undefined;
  const property = name ? schema[name] : undefined;
  if (!name || !property) return filter;
  const condition = filter[property.type] as Filter | undefined;
  if (!condition || typeof condition.contains !== 'string') return filter;
  const given = condition.contains;
  if (property.type === 'relation' && !normaliseUuid(given)) {
    const target = property.relation.data_source_id;
    const id = pageIdOf(given) ?? (await pageByTitle(caches.dataSources, connection, given, target, name));
    if (!id) {
      throw new GatewayError(
        'invalid_property',
        `Filter ${JSON.stringify(name)} (relation): no page titled ${JSON.stringify(given)} in the related data source ${target}. Give its id, URL or exact title.`,
        {
          property: name,
          expected: `the id, URL or exact title of a page of data source ${target}`,
          example: { [name]: '<page id, Notion page URL or exact title>' },
        },
      );
    }
    return { ...filter, relation: { ...condition, contains: id } };
  }
  if (property.type === 'people' && given.includes('@')) {
    return { ...filter, people: { ...condition, contains: await userByEmail(caches.people, connection, given, name) } };
  }
  return filter;
}
