/**
 * OpenTelemetry traces, only when OTEL_EXPORTER_OTLP_ENDPOINT is set: one span per operation (REST, MCP, job steps
 * not included) with a child span per Notion HTTP request, exported over OTLP/HTTP (JSON) to `<endpoint>/v1/traces`.
 * Unset, nothing of OpenTelemetry is loaded: `inSpan` runs the function as it is. The SDK and the exporter are
 * imported by `startTracing` only, so a gateway without the variable pays neither their memory nor their start time.
 * The exporter's own variables (OTEL_EXPORTER_OTLP_HEADERS, …) apply as the SDK documents them.
 */

/** Adds attributes to the current span (a no-op without tracing). */
export type Annotate = (attributes: Record<string, string | number | boolean>) => void;
type Runner = <T>(
  name: string,
  attributes: Record<string, string | number | boolean>,
  fn: (annotate: Annotate) => Promise<T>,
) => Promise<T>;

let runner: Runner | null = null;
const noAnnotate: Annotate = () => {};

/** Runs `fn` inside a span named `name` when tracing is on (the span ends when `fn` settles; a throw marks it). */
export function inSpan<T>(
  name: string,
  attributes: Record<string, string | number | boolean>,
  fn: (annotate: Annotate) => Promise<T>,
): Promise<T> {
  return runner ? runner(name, attributes, fn) : fn(noAnnotate);
}

export const tracingActive = (): boolean => runner !== null;

/** Registers the tracer provider and its OTLP exporter; resolves to a stop that flushes what is still buffered. */
export async function startTracing(options: {
  endpoint: string;
  serviceName: string;
  serviceVersion: string;
}): Promise<() => Promise<void>> {
  const [api, { NodeTracerProvider, BatchSpanProcessor }, { OTLPTraceExporter }, { resourceFromAttributes }] =
    await Promise.all([
      import('@opentelemetry/api'),
      import('@opentelemetry/sdk-trace-node'),
      import('@opentelemetry/exporter-trace-otlp-http'),
      import('@opentelemetry/resources'),
    ]);
  const exporter = new OTLPTraceExporter({ url: `${options.endpoint.replace(/\/+$/, '')}/v1/traces` });
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      'service.name': options.serviceName,
      'service.version': options.serviceVersion,
    }),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  // Registers the AsyncLocalStorage context manager too: a Notion call's span finds its operation's span as parent.
  provider.register();
  const tracer = api.trace.getTracer('notion-gateway', options.serviceVersion);
  runner = (name, attributes, fn) =>
    tracer.startActiveSpan(name, { attributes }, async (span) => {
      try {
        return await fn((more) => span.setAttributes(more));
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        span.setStatus({ code: api.SpanStatusCode.ERROR, message: typeof code === 'string' ? code : 'error' });
        if (typeof code === 'string') span.setAttribute('gateway.error_code', code);
        throw error;
      } finally {
        span.end();
      }
    });
  return async () => {
    runner = null;
    await provider.shutdown();
    // Unregistered, so a later start (another gateway in the same process, as tests do) registers afresh.
    api.trace.disable();
    api.context.disable();
  };
}
