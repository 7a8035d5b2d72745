export { ConfigError, configFields, loadConfig, serverConfigSchema } from './config.ts';
export {
  AppError,
  badGateway,
  badRequest,
  conflict,
  invalidCredentials,
  notFound,
  payloadTooLarge,
  serviceUnavailable,
  tooManyRequests,
  unauthorized,
  unsupportedMediaType,
  type ProblemDetails,
} from './errors.ts';
export { Readiness } from './health.ts';
export { createHttpApp } from './http/create-app.ts';
export { requestIdOf } from './http/request-logging.ts';
export { streamBody } from './http/stream-body.ts';
export { jsonBody } from './http/json-body.ts';
export { validateBody } from './http/validate-body.ts';
export {
  createJwtAuthentication,
  jwtVerificationConfigSchema,
  maxTokenLifetimeSeconds,
  tokenAlgorithm,
  tokenClaimsConfigSchema,
} from './jwt-authentication.ts';
export { launch } from './launch.ts';
export { createLogger, type Logger } from './logger.ts';
export { startService, type RunningService, type ServiceDefinition } from './server.ts';
export { KeyedSlots, Slots, type ReleaseSlot } from './slots.ts';
export { platformMetrics, secondsSince, startTelemetry, type Telemetry } from './telemetry/metrics.ts';
export { inSpan, SpanKind, withTraceHeaders } from './telemetry/tracing.ts';
