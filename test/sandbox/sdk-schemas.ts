// JSON Schemas generated from @notionhq/client's own response types (the `.d.ts` files under
// build/src/api-endpoints), so sandbox responses are checked against a description of Notion's API that nobody in
// this repository wrote. Generated at test time (≈ 1 s), so there is no committed copy to go stale when the SDK moves.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { createGenerator } from 'ts-json-schema-generator';

const require = createRequire(import.meta.url);

export interface SdkSchemas {
  /** Names of every type the SDK's endpoint files declare (exported or not). */
  types: Set<string>;
  /** A validator for one SDK type, e.g. `validator('GetPageResponse')`; throws for a name the SDK does not have. */
  validator(type: string): ValidateFunction;
  /** Whether the schema of `type` refers to `member` (e.g. GetPageResponse → PageObjectResponse). */
  refersTo(type: string, member: string): boolean;
}

export function generateSdkSchemas(): SdkSchemas {
  const endpoints = join(dirname(require.resolve('@notionhq/client')), 'api-endpoints');
  const schema = createGenerator({
    path: join(endpoints, '*.d.ts'),
    type: '*',
    expose: 'all',
    skipTypeCheck: true,
    // The SDK's object types are closed: a field the SDK does not declare is a mismatch, not noise.
    additionalProperties: false,
  }).createSchema('*');
  const definitions = schema.definitions ?? {};
  const ajv = new Ajv({ strict: false, allErrors: true });
  ajv.addSchema(schema, 'sdk');
  return {
    types: new Set(Object.keys(definitions)),
    validator(type) {
      if (!(type in definitions)) throw new Error(`@notionhq/client declares no type ${type}`);
      return ajv.getSchema(`sdk#/definitions/${type}`)!;
    },
    refersTo(type, member) {
      return JSON.stringify(definitions[type]).includes(`"#/definitions/${member}"`);
    },
  };
}
