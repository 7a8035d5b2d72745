import { metrics, type Counter, type Histogram } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { RuntimeNodeInstrumentation } from '@opentelemetry/instrumentation-runtime-node';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationType, MeterProvider, type ViewOptions } from '@opentelemetry/sdk-metrics';
import type { SpanExporter } from '@opentelemetry/sdk-trace';
import { latencyBuckets, metricCatalog, prometheusUnitSuffix, type MetricDefinition } from './catalog.ts';
import { startTracing } from './tracing.ts';

/** Node runtime metrics (event loop delay, heap, GC) from @opentelemetry/instrumentation-runtime-node. */
const runtimeMetrics: Array<Pick<MetricDefinition, 'name' | 'unit'>> = [
  { name: 'nodejs.eventloop.delay.p50', unit: 's' },
  { name: 'nodejs.eventloop.delay.p90', unit: 's' },
  { name: 'nodejs.eventloop.delay.p99', unit: 's' },
  { name: 'nodejs.eventloop.delay.max', unit: 's' },
  { name: 'nodejs.eventloop.delay.mean', unit: 's' },
  { name: 'nodejs.eventloop.utilization', unit: '1' },
  { name: 'v8js.gc.duration', unit: 's' },
  { name: 'v8js.memory.heap.used', unit: 'By' },
  { name: 'v8js.memory.heap.limit', unit: 'By' },
];

/** Exported names carry their unit (Prometheus convention); histograms get explicit buckets. */
function views(): ViewOptions[] {
  return [...Object.values(metricCatalog), ...runtimeMetrics].map((definition) => {
    const suffix = prometheusUnitSuffix[definition.unit];
    return {
      instrumentName: definition.name,
      name: suffix === undefined ? definition.name : `${definition.name}.${suffix}`,
      ...('kind' in definition && definition.kind === 'histogram'
        ? { aggregation: { type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM, options: { boundaries: latencyBuckets } } }
        : {}),
    };
  });
}

export interface Telemetry {
  /** Where Prometheus scrapes this process. */
  metricsUrl: string;
  close: () => Promise<void>;
}

/**
 * Starts OpenTelemetry: metrics with a Prometheus exporter on their own port (never the public
 * one), and tracing (see tracing.ts; `spanExporter` is for tests). Call it first in a service's
 * start-up: instruments created before it are no-ops.
 */
export async function startTelemetry(options: {
  service: string;
  host: string;
  port: number;
  spanExporter?: SpanExporter;
}): Promise<Telemetry> {
  const tracing = startTracing({ service: options.service, exporter: options.spanExporter });
  const exporter = new PrometheusExporter({
    host: options.host,
    port: options.port,
    withoutScopeInfo: true,
    preventServerStart: true,
  });
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ 'service.name': options.service }),
    readers: [exporter],
    views: views(),
  });
  metrics.setGlobalMeterProvider(provider);
  registerInstrumentations({
    meterProvider: provider,
    instrumentations: [new RuntimeNodeInstrumentation({ monitoringPrecision: 20 })],
  });
  await exporter.startServer();
  return {
    metricsUrl: `http://${options.host}:${options.port}/metrics`,
    close: async () => {
      await provider.shutdown();
      await exporter.shutdown();
      metrics.disable();
      await tracing.close();
    },
  };
}

type Catalog = typeof metricCatalog;
type Instruments = { [Key in keyof Catalog]: Catalog[Key]['kind'] extends 'histogram' ? Histogram : Counter };

/** The platform's instruments, from the global meter (no-ops until startTelemetry has run). */
export function platformMetrics(): Instruments {
  const meter = metrics.getMeter('platform');
  const entries = Object.entries(metricCatalog).map(([key, definition]) => {
    const options = { unit: definition.unit, description: definition.description };
    return [
      key,
      definition.kind === 'histogram'
        ? meter.createHistogram(definition.name, options)
        : meter.createCounter(definition.name, options),
    ];
  });
  return Object.fromEntries(entries) as Instruments;
}

/** Seconds elapsed since `start` (from performance.now()), for duration histograms. */
export const secondsSince = (start: number): number => (performance.now() - start) / 1_000;
