/** A running Convoy: the gateway's URL, and how to stop everything. */
export interface RunningSystem {
  /** The gateway: the system's one public entry. */
  url: string
  /** Where each service listens (internal services on loopback). */
  services: Record<ServiceName, string>
  /** Messages services asked to show once at start (the first admin's generated password). */
  notices: string[]
  close(): Promise<void>
}

/** The services in start order: each one's dependencies come before it. */
export const SERVICES = ['auth', 'position-tracker', 'web', 'gateway', 'position-simulator'] as const
export type ServiceName = (typeof SERVICES)[number]

/** The environment that points a service at the services started before it. */
export function wiring(
  service: ServiceName,
  urls: Partial<Record<ServiceName, string>>,
): Record<string, string | undefined> {
  const jwks = urls.auth && `${urls.auth}/auth/.well-known/jwks.json`
  if (service === 'gateway') {
    return {
      AUTH_URL: urls.auth,
      AUTH_JWKS_URL: jwks,
      POSITION_TRACKER_URL: urls['position-tracker'],
      WEB_URL: urls.web,
    }
  }
  return service === 'position-tracker' ? { AUTH_JWKS_URL: jwks } : {}
}
