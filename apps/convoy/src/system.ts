/** A running Convoy: the gateway's URL, and how to stop everything. */
export interface RunningSystem {
  /** The gateway: the system's one public entry. */
  url: string
  /** Where each service's API listens (internal services on loopback; workers have none). */
  services: Partial<Record<ServiceName, string>>
  /** Where each service's operational endpoints listen: `/healthz`, `/readyz`, `/metrics`. */
  ops: Record<ServiceName, string>
  /** Messages services asked to show once at start (the first admin's generated password). */
  notices: string[]
  close(): Promise<void>
}

/** The services in start order: each one's dependencies come before it. */
export const SERVICES = [
  'auth',
  'position-tracker',
  'fleet-events',
  'media',
  'converter',
  'notification',
  'web',
  'gateway',
  'position-simulator',
] as const
export type ServiceName = (typeof SERVICES)[number]

/**
 * Where users open the app, for the links in emails: `PUBLIC_URL` when it is set, else the
 * gateway's address (`localhost` for a loopback or wildcard interface). Unknown (undefined) for
 * port 0, which the OS picks only when the gateway listens.
 */
export function publicUrl(env: Record<string, string | undefined>, host: string, port: number) {
  if (env.PUBLIC_URL) return env.PUBLIC_URL
  if (port === 0) return undefined
  const name = ['127.0.0.1', '0.0.0.0', '::', '::1', ''].includes(host) ? 'localhost' : host
  return `http://${name.includes(':') ? `[${name}]` : name}:${port}`
}

/**
 * The environment that points a service at the services started before it, and tells it where
 * users open the app (`publicUrl`).
 */
export function wiring(
  service: ServiceName,
  urls: Partial<Record<ServiceName, string>>,
  publicUrl?: string,
): Record<string, string | undefined> {
  // Where every verifier reads auth's keys and the sessions it revoked.
  const verification = {
    AUTH_JWKS_URL: urls.auth && `${urls.auth}/auth/.well-known/jwks.json`,
    AUTH_REVOCATIONS_URL: urls.auth && `${urls.auth}/internal/revocations`,
  }
  switch (service) {
    case 'gateway':
      return {
        AUTH_URL: urls.auth,
        ...verification,
        POSITION_TRACKER_URL: urls['position-tracker'],
        FLEET_EVENTS_URL: urls['fleet-events'],
        MEDIA_URL: urls.media,
        NOTIFICATION_URL: urls.notification,
        WEB_URL: urls.web,
      }
    case 'auth':
      // Logins reach auth through the gateway, on loopback: the address it names is the client's.
      return { TRUST_PROXY: '127.0.0.1' }
    case 'notification':
      return { ...verification, ...(publicUrl ? { PUBLIC_URL: publicUrl } : {}) }
    case 'position-tracker':
    case 'fleet-events':
    case 'media':
      return verification
    case 'converter':
      return { MEDIA_URL: urls.media }
    default:
      return {}
  }
}
