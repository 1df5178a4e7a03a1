/**
 * What a service or launcher asks of OpenTelemetry, which `register.ts` starts (or not) before it.
 */
export { inService, SERVICE_ATTRIBUTE } from './service.ts'
export { shutdownTelemetry } from './shutdown.ts'
