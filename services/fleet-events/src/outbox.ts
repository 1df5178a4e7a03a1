import { Counter, type Registry } from 'prom-client'
import { FLEET_EVENT_KINDS, fleetEvent, type FleetEvent } from '@convoy/contracts'
import type { Logger } from '@convoy/platform/log'
import type { Broker } from '@convoy/platform/messaging'
import type { FleetRepository } from './repository.ts'

/** Unconfirmed events the sweep publishes per transaction. */
const REPUBLISH_BATCH = 100

/**
 * Events leave through an outbox: stored first, in the transaction that decided them, then
 * published once committed, with the event's id as the message id, and marked when the broker
 * confirmed them. What the broker did not confirm (down, or this process died in between) the sweep
 * publishes later. At least once, then: a consumer that must not act twice keeps the ids it handled
 * (a duplicate needs a crash between the broker's confirm and the mark's commit).
 */
export function eventOutbox(options: {
  broker: Broker
  repository: FleetRepository
  log: Logger
  metrics: Registry
}) {
  const { broker, repository, log } = options
  const published = new Counter({
    name: 'fleet_events_published_total',
    help: 'Fleet events the broker confirmed, by kind',
    labelNames: ['kind'] as const,
    registers: [options.metrics],
  })
  for (const kind of FLEET_EVENT_KINDS) published.inc({ kind }, 0)
  const send = async (event: FleetEvent) => {
    await broker.publish(fleetEvent, event, { messageId: event.id })
    published.inc({ kind: event.kind })
  }

  const publish = async (which: Parameters<FleetRepository['publish']>[0]) => {
    const result = await repository.publish(which, send, REPUBLISH_BATCH)
    if (result.failed > 0)
      log.warn({ failed: result.failed }, 'events not published; the sweep will try again')
    return result
  }

  return {
    /**
     * Publishes events just committed. Never fails: what the broker does not confirm, or what
     * cannot be marked, is stored and left to {@link republish}.
     */
    async publish(events: FleetEvent[]): Promise<void> {
      if (events.length === 0) return
      await publish({ ids: events.map((event) => event.id) }).catch((error: unknown) =>
        log.warn({ err: error }, 'events not published; the sweep will try again'),
      )
    },

    /**
     * Publishes what waited more than `olderThanMs` unconfirmed, a hundred at a time until none is
     * left or the broker refuses; returns how many.
     */
    async republish(olderThanMs: number): Promise<number> {
      let total = 0
      for (;;) {
        const { confirmed, failed } = await publish({ olderThanMs })
        total += confirmed
        if (failed > 0 || confirmed < REPUBLISH_BATCH) return total
      }
    },
  }
}

export type EventOutbox = ReturnType<typeof eventOutbox>
