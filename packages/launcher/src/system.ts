/** A running Convoy: the gateway's URL, and how to stop everything. */
export interface RunningSystem {
  /** The gateway: the system's one public entry. */
  url: string
  /** Where each service listens (internal services on loopback). */
  services: Record<ServiceName, string>
  close(): Promise<void>
}

/** The services in start order: each one's dependencies come before it. */
export const SERVICES = ['position-tracker', 'web', 'gateway', 'position-simulator'] as const
export type ServiceName = (typeof SERVICES)[number]

/** The environment that points a service at the services started before it. */
export function wiring(
  service: ServiceName,
  urls: Partial<Record<ServiceName, string>>,
): Record<string, string | undefined> {
  return service === 'gateway' ? { POSITION_TRACKER_URL: urls['position-tracker'], WEB_URL: urls.web } : {}
}
