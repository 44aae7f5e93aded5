// Implementations of the decorators declared in contract.tsp. Each one writes the OpenAPI extensions an operation
// needs, in the order `@extension` stacked bottom-up used to write them (x-mcp, x-openai-isConsequential, x-engine),
// so the documents tools/codegen reads are the same. tools/codegen/rules.ts still checks every operation.
import { setExtension } from '@typespec/openapi';

function engine(program, target, writes, connection) {
  setExtension(program, target, 'x-openai-isConsequential', writes);
  setExtension(program, target, 'x-engine', { writes, connection });
}

// A tool reaches Notion exactly when it needs a connection; without one it only touches the gateway's own records.
function tool(program, target, name, toolset, title, connection, hints) {
  setExtension(program, target, 'x-mcp', {
    tool: name,
    toolset,
    title,
    annotations: {
      readOnlyHint: hints.readOnly,
      destructiveHint: hints.destructive,
      idempotentHint: hints.idempotent,
      openWorldHint: connection === 'required',
    },
  });
}

export const $decorators = {
  'NotionGateway.Contract': {
    read(context, target, connection) {
      engine(context.program, target, false, connection);
    },
    write(context, target, connection) {
      engine(context.program, target, true, connection);
    },
    readTool(context, target, name, toolset, title, connection) {
      tool(context.program, target, name, toolset, title, connection, {
        readOnly: true,
        destructive: false,
        idempotent: true,
      });
      engine(context.program, target, false, connection);
    },
    writeTool(context, target, name, toolset, title, connection, hints) {
      tool(context.program, target, name, toolset, title, connection, { readOnly: false, ...hints });
      engine(context.program, target, true, connection);
    },
    browserOnly(context, target) {
      setExtension(context.program, target, 'x-http-only', true);
      setExtension(context.program, target, 'x-openai-isConsequential', false);
    },
  },
};
