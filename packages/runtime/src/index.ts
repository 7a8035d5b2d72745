export { ConfigError, configFields, loadConfig, serverConfigSchema, type ServerConfig } from './config.ts';
export {
  AppError,
  badGateway,
  badRequest,
  conflict,
  internalError,
  invalidCredentials,
  notFound,
  payloadTooLarge,
  problemContentType,
  serviceUnavailable,
  unauthorized,
  unsupportedMediaType,
  type FieldError,
  type ProblemDetails,
} from './errors.ts';
export { Readiness, type DependencyCheck, type ReadinessReport } from './health.ts';
export { createHttpApp, type HttpAppOptions } from './http/create-app.ts';
export { sendProblem, toAppError } from './http/problem-responses.ts';
export { requestIdHeader, requestIdOf } from './http/request-logging.ts';
export { jsonBody } from './http/json-body.ts';
export { validateBody } from './http/validate-body.ts';
export {
  createJwtAuthentication,
  jwtVerificationConfigSchema,
  tokenAlgorithm,
  tokenClaimsConfigSchema,
  type AuthenticatedUser,
  type JwtVerificationConfig,
} from './jwt-authentication.ts';
export { launch } from './launch.ts';
export { createLogger, type Logger } from './logger.ts';
export { startService, type ManagedResource, type RunningService, type ServiceDefinition } from './server.ts';
export { latencyBuckets, metricCatalog } from './telemetry/catalog.ts';
export { platformMetrics, secondsSince, startTelemetry, type Telemetry } from './telemetry/metrics.ts';
export { inSpan, SpanKind, withTraceHeaders } from './telemetry/tracing.ts';
export { inRequestContext } from './http/request-tracing.ts';
