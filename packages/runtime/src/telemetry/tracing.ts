import {
  context,
  propagation,
  SpanStatusCode,
  trace,
  type Attributes,
  type Span,
  type SpanKind,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, SimpleSpanProcessor, TracerProvider, type SpanExporter } from '@opentelemetry/sdk-trace';

export { SpanKind } from '@opentelemetry/api';

/**
 * Spans are always created (their ids go into the logs); they are exported only when the standard
 * variables ask for it: OTEL_TRACES_EXPORTER=otlp, or an OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT, which
 * the OTLP exporter then reads itself. Off by default locally.
 */
function exporterFromEnvironment(env: NodeJS.ProcessEnv): SpanExporter | undefined {
  if (env['OTEL_TRACES_EXPORTER'] === 'none') return undefined;
  const wanted =
    env['OTEL_TRACES_EXPORTER'] === 'otlp' ||
    env['OTEL_EXPORTER_OTLP_ENDPOINT'] !== undefined ||
    env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'] !== undefined;
  return wanted ? new OTLPTraceExporter() : undefined;
}

/** Starts tracing with W3C trace-context propagation. `exporter` replaces the environment's (tests). */
export function startTracing(options: { service: string; exporter?: SpanExporter | undefined }): {
  close: () => Promise<void>;
} {
  const exporter = options.exporter ?? exporterFromEnvironment(process.env);
  const processor =
    exporter === undefined
      ? []
      : [options.exporter === undefined ? new BatchSpanProcessor({ exporter }) : new SimpleSpanProcessor({ exporter })];
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.service }),
    spanProcessors: processor,
  });
  trace.setGlobalTracerProvider(provider);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  return {
    close: async () => {
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}

/**
 * Runs `work` inside a span of the given scope (the component doing the work), recording failures;
 * the span is the parent of anything started inside.
 */
export function inSpan<T>(
  scope: string,
  name: string,
  kind: SpanKind,
  attributes: Attributes,
  work: (span: Span) => Promise<T>,
): Promise<T> {
  return trace.getTracer(scope).startActiveSpan(name, { kind, attributes }, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw error;
    } finally {
      span.end();
    }
  });
}

/** Adds the active trace context (traceparent) to outgoing request headers. */
export function withTraceHeaders(headers: Record<string, string>): Record<string, string> {
  propagation.inject(context.active(), headers);
  return headers;
}
