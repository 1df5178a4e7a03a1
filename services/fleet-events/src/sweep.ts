import { startPeriodic } from '@convoy/platform/lifecycle'
import type { Logger } from '@convoy/platform/log'
import type { EventOutbox } from './outbox.ts'
import type { FleetRepository } from './repository.ts'

/**
 * One sweep: declares lost the signal of the vehicles silent for the rule's minutes and publishes
 * those events, then publishes the events the broker has not confirmed `republishAfterMs` after
 * they were stored. Safe on every replica at once (see the repository's `loseSignals` and `republish`).
 */
export async function sweep(options: {
  repository: FleetRepository
  outbox: EventOutbox
  log: Logger
  republishAfterMs: number
}): Promise<void> {
  const { repository, outbox, log } = options
  const lost = await repository.loseSignals()
  if (lost.length > 0) log.info({ vehicles: lost.map((event) => event.vehicleName) }, 'signal lost')
  await outbox.publish(lost)
  const republished = await outbox.republish(options.republishAfterMs)
  if (republished > 0) log.info({ events: republished }, 'unconfirmed events published by the sweep')
}

/** Runs {@link sweep} every `everyMs`. */
export function startSweep(options: Parameters<typeof sweep>[0] & { everyMs: number }) {
  return startPeriodic({
    name: 'fleet sweep',
    everyMs: options.everyMs,
    log: options.log,
    task: () => sweep(options),
  })
}
