/** A running Convoy: the gateway's URL, and how to stop everything. */
export interface RunningSystem {
  url: string
  close(): Promise<void>
}

/** The services in start order: each one's dependencies come before it. */
export const SERVICES = ['position-tracker', 'web', 'gateway', 'position-simulator'] as const
export type ServiceName = (typeof SERVICES)[number]
