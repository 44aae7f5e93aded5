// Page property values: validation of writes against the data source schema, rendering, computed values.
// (Step-1 version: title on page-parent pages. Data-source schemas are added with data-sources.ts.)
import { validation } from './errors.ts';
import { plainText, toRichText } from './richtext.ts';
import type { PageRec, Workspace } from './store.ts';
import { describe, isObject } from './util.ts';

export const TITLE_ID = 'title';

export function pageTitle(_ws: Workspace, page: PageRec): string {
  return plainText(page.props[TITLE_ID]);
}

export function renderPageProperties(_ws: Workspace, page: PageRec): Record<string, unknown> {
  return { title: { id: TITLE_ID, type: 'title', title: page.props[TITLE_ID] ?? [] } };
}

export function writePageProperties(ws: Workspace, page: PageRec, input: unknown, _creating: boolean): void {
  if (input === undefined) return;
  if (!isObject(input)) throw validation(`body.properties should be an object, instead was ${describe(input)}.`);
  for (const [name, value] of Object.entries(input)) {
    if (name !== 'title' && name !== TITLE_ID)
      throw validation(
        `${name} is not a property that exists. A page whose parent is a page only has a \`title\` property.`,
      );
    const v = isObject(value) ? value.title : value;
    page.props[TITLE_ID] = toRichText(v, `body.properties.${name}.title`, ws);
  }
}
