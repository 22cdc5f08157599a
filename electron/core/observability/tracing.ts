import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';

let provider: TracerProvider | null = null;

/** Whether the standard OpenTelemetry variables ask for traces (OTLP over HTTP). */
export function tracingRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  if ((env.OTEL_SDK_DISABLED ?? '').toLowerCase() === 'true') return false;
  if ((env.OTEL_TRACES_EXPORTER ?? '').toLowerCase() === 'none') return false;
  return !!(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

/**
 * Starts the process's tracer provider once, when OTEL_EXPORTER_OTLP_ENDPOINT (or the traces-only variable)
 * is set: spans go to `<endpoint>/v1/traces` as OTLP/HTTP JSON, batched. Off otherwise: the API's no-op
 * tracer costs next to nothing. The exporter reads the other standard variables (headers, timeout) itself.
 */
export function startTracing(version: string): { enabled: boolean; flush(): Promise<void> } {
  if (!tracingRequested()) return { enabled: false, flush: async () => {} };
  if (!provider) {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    provider = new TracerProvider({
      resource: resourceFromAttributes({ 'service.name': process.env.OTEL_SERVICE_NAME || 'agent-hive', 'service.version': version }),
      spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter(), scheduledDelayMillis: 500 })],
    });
    trace.setGlobalTracerProvider(provider);
  }
  const p = provider;
  return { enabled: true, flush: () => p.forceFlush().catch(() => {}) };
}
