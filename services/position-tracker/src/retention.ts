import { startPeriodic } from '@convoy/platform/lifecycle'
import type { Logger } from '@convoy/platform/log'
import type { PositionsRepository } from './repository.ts'

const DAY_MS = 86_400_000
const CHUNK = 5000
const PAUSE_MS = 50

/**
 * Deletes positions older than the retention period every `sweepSeconds`, in chunks of a few
 * thousand rows with a pause between them, so ingestion never waits behind one long delete.
 */
export function startRetention(options: {
  repository: PositionsRepository
  log: Logger
  days: number
  sweepSeconds: number
}) {
  return startPeriodic({
    name: 'retention sweep',
    everyMs: options.sweepSeconds * 1000,
    log: options.log,
    async task(stopped) {
      const cutoff = new Date(Date.now() - options.days * DAY_MS)
      let total = 0
      for (let deleted = CHUNK; deleted === CHUNK && !stopped(); total += deleted) {
        deleted = await options.repository.deleteOlderThan(cutoff, CHUNK)
        // A breath between chunks lets ingestion's transactions through.
        await new Promise((resolve) => setTimeout(resolve, PAUSE_MS))
      }
      if (total > 0) options.log.info({ deleted: total, cutoff }, 'old positions deleted')
    },
  })
}
