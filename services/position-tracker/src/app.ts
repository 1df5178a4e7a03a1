import { Readable } from 'node:stream'
import Type from 'typebox'
import { parseTimestamp, Position, Timestamp, Vehicle, VehicleName } from '@convoy/contracts'
import { authenticate, type Verifier } from '@convoy/access'
import { BadRequestError, NotFoundError } from '@convoy/platform/errors'
import { concurrencyLimit, createHttpApp, type HttpAppOptions } from '@convoy/platform/http'
import type { PositionsRepository } from './repository.ts'

const HOUR_MS = 3_600_000
const Params = Type.Object({ name: VehicleName })
const HistoryQuery = Type.Object({
  from: Type.Optional(Timestamp),
  to: Type.Optional(Timestamp),
  limit: Type.Integer({ minimum: 1, maximum: 10_000, default: 1000 }),
})

/** How many history reads run at once, and how many may wait for a turn (beyond: 503). */
export interface HistoryLimits {
  concurrency: number
  queue: number
}

/**
 * The tracker's HTTP API; every route needs an access token (any role), checked here as well as
 * at the gateway. History, the one expensive read, runs a bounded number at a time and streams
 * its answer. Builds the app; never listens (main.ts does).
 */
export function buildApp(
  options: HttpAppOptions & {
    repository: PositionsRepository
    verifier: Verifier
    history?: HistoryLimits
  },
) {
  const app = createHttpApp(options)
  app.addHook('onRequest', authenticate(options.verifier))
  const { repository } = options

  app.get('/vehicles', { schema: { response: { 200: Type.Array(Vehicle) } } }, () => repository.list())

  app.get('/vehicles/:name', { schema: { params: Params, response: { 200: Vehicle } } }, async (request) => {
    const vehicle = await repository.find(request.params.name)
    if (!vehicle) throw new NotFoundError(`no vehicle named ${JSON.stringify(request.params.name)}`)
    return vehicle
  })

  const limits = options.history ?? { concurrency: 4, queue: 16 }
  app.get(
    '/vehicles/:name/history',
    {
      schema: { params: Params, querystring: HistoryQuery },
      // The database serves ingestion too: a flood of history reads waits its turn or is told
      // to come back (503), and the reports keep being stored.
      preHandler: concurrencyLimit({
        max: limits.concurrency,
        queue: limits.queue,
        what: 'history reads',
      }),
    },
    async (request, reply) => {
      const { name } = request.params
      const to = new Date(instant('to', request.query.to) ?? Date.now())
      const from = new Date(instant('from', request.query.from) ?? to.getTime() - HOUR_MS)
      if (from > to) throw new BadRequestError('from must not be after to')
      if (!(await repository.find(name))) throw new NotFoundError(`no vehicle named ${JSON.stringify(name)}`)
      const pages = repository.historyPages(name, { from, to, limit: request.query.limit })
      // The first page before the answer starts: a database that is down is still a 503.
      const first = await pages.next()
      return reply
        .type('application/json; charset=utf-8')
        .send(Readable.from(historyJson(name, first.done ? [] : first.value, pages)))
    },
  )

  return app
}

/**
 * `{"name":…,"positions":[…]}` (the `VehicleHistory` contract) as text, page by page: the answer
 * is written as the pages are read, and never held whole.
 */
async function* historyJson(
  name: string,
  first: Position[],
  rest: AsyncIterable<Position[]>,
): AsyncGenerator<string> {
  yield `{"name":${JSON.stringify(name)},"positions":[`
  let separator = ''
  const page = (positions: Position[]) => {
    const text = positions.map((position) => JSON.stringify(position)).join(',')
    const out = text ? separator + text : ''
    if (text) separator = ','
    return out
  }
  yield page(first)
  for await (const positions of rest) yield page(positions)
  yield ']}'
}

/** A query's instant in epoch ms (undefined when absent); one no database can hold is a 400. */
function instant(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined
  const time = parseTimestamp(text)
  if (time === null) throw new BadRequestError(`${name} must be an instant between 1970 and 9999`)
  return time
}
