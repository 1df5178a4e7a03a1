import { Readable } from 'node:stream'
import type { FastifyReply } from 'fastify'
import Type, { type TSchema } from 'typebox'
import {
  DailySummary,
  parseTimestamp,
  Position,
  Timestamp,
  Vehicle,
  VehicleName,
  VehicleReplay,
  VehicleStops,
  VehicleTrips,
} from '@convoy/contracts'
import { authenticate, type Verifier } from '@convoy/access'
import { BadRequestError, NotFoundError } from '@convoy/platform/errors'
import { attachment, concurrencyLimit, createHttpApp, type HttpAppOptions } from '@convoy/platform/http'
import { derivedReads, LONGEST_RANGE_MS, type Range } from './derived-reads.ts'
import { downloadName, replayGpx, stopsCsv, tripsCsv } from './exports.ts'
import { localDay } from './local-day.ts'
import type { PositionsRepository } from './repository.ts'

const HOUR_MS = 3_600_000
const Params = Type.Object({ name: VehicleName })
/** A range of a vehicle's positions: `to` defaults to now, `from` to an hour before `to`. */
const RangeQuery = { from: Type.Optional(Timestamp), to: Type.Optional(Timestamp) }
const HistoryQuery = Type.Object({
  ...RangeQuery,
  limit: Type.Integer({ minimum: 1, maximum: 10_000, default: 1000 }),
})
const ReplayQuery = Type.Object({ ...RangeQuery, format: Type.Enum(['json', 'gpx'], { default: 'json' }) })
const EpisodesQuery = Type.Object({ ...RangeQuery, format: Type.Enum(['json', 'csv'], { default: 'json' }) })
const SummaryQuery = Type.Object({
  date: Type.String({ maxLength: 10 }),
  timeZone: Type.String({ minLength: 1, maxLength: 100, default: 'UTC' }),
})

/** How many history reads run at once, and how many may wait for a turn (beyond: 503). */
export interface HistoryLimits {
  concurrency: number
  queue: number
}

/**
 * The tracker's HTTP API; every route needs an access token (any role), checked here as well as
 * at the gateway. The expensive reads — history, which streams its answer, and what is derived
 * from it on read (a replay, trips, stops, a daily summary) — run a bounded number at a time.
 * Builds the app; never listens (main.ts does).
 */
export function buildApp(
  options: HttpAppOptions & {
    repository: PositionsRepository
    verifier: Verifier
    history?: HistoryLimits
    /** The clock that tells a trip under way from one a silence ended (tests set it). */
    now?: () => number
  },
) {
  const app = createHttpApp(options)
  app.addHook('onRequest', authenticate(options.verifier))
  const { repository } = options
  const derived = derivedReads(repository)
  const now = options.now ?? Date.now
  /** 404 for a vehicle never seen, before any read of its positions. */
  const known = async (name: string) => {
    if (!(await repository.find(name))) throw new NotFoundError(`no vehicle named ${JSON.stringify(name)}`)
  }

  app.get('/vehicles', { schema: { response: { 200: Type.Array(Vehicle) } } }, () => repository.list())

  app.get('/vehicles/:name', { schema: { params: Params, response: { 200: Vehicle } } }, async (request) => {
    const vehicle = await repository.find(request.params.name)
    if (!vehicle) throw new NotFoundError(`no vehicle named ${JSON.stringify(request.params.name)}`)
    return vehicle
  })

  const limits = options.history ?? { concurrency: 4, queue: 16 }
  // The database serves ingestion too: a flood of reads of positions (history and everything
  // derived from it) waits its turn or is told to come back (503), and the reports keep being stored.
  const historyRead = concurrencyLimit({
    max: limits.concurrency,
    queue: limits.queue,
    what: 'history reads',
  })
  app.get(
    '/vehicles/:name/history',
    { schema: { params: Params, querystring: HistoryQuery }, preHandler: historyRead },
    async (request, reply) => {
      const { name } = request.params
      const range = timeRange(request.query, now())
      await known(name)
      const pages = repository.historyPages(name, {
        from: new Date(range.from),
        to: new Date(range.to),
        limit: request.query.limit,
      })
      // The first page before the answer starts: a database that is down is still a 503.
      const first = await pages.next()
      return reply
        .type('application/json; charset=utf-8')
        .send(Readable.from(historyJson(name, first.done ? [] : first.value, pages)))
    },
  )

  /** The range of a read that derives from positions, once the vehicle is known to exist. */
  const derivedRange = async (name: string, query: { from?: string; to?: string }) => {
    const range = timeRange(query, now(), LONGEST_RANGE_MS)
    await known(name)
    return range
  }

  app.get(
    '/vehicles/:name/route',
    {
      schema: { params: Params, querystring: ReplayQuery, response: { 200: VehicleReplay } },
      preHandler: historyRead,
    },
    async (request, reply) => {
      const { name } = request.params
      const replay = await derived.replay(name, await derivedRange(name, request.query))
      if (request.query.format === 'json') return replay
      return download(reply, GPX, downloadName(name, 'route', replay.from, replay.to, 'gpx')).send(
        replayGpx(replay),
      )
    },
  )

  /** Trips or stops: the same query, a list each, as JSON or CSV. */
  const episodes = <Answer extends { name: string; from: string; to: string }>(
    what: 'trips' | 'stops',
    schema: TSchema,
    read: (name: string, range: Range, now: number) => Promise<Answer>,
    toCsv: (answer: Answer) => string,
  ) =>
    app.get(
      `/vehicles/:name/${what}`,
      {
        schema: { params: Params, querystring: EpisodesQuery, response: { 200: schema } },
        preHandler: historyRead,
      },
      async (request, reply) => {
        const { name } = request.params
        const answer = await read(name, await derivedRange(name, request.query), now())
        if (request.query.format === 'json') return answer
        return download(reply, CSV, downloadName(name, what, answer.from, answer.to, 'csv')).send(
          toCsv(answer),
        )
      },
    )
  episodes('trips', VehicleTrips, derived.trips, tripsCsv)
  episodes('stops', VehicleStops, derived.stops, stopsCsv)

  app.get(
    '/vehicles/:name/summary',
    {
      schema: { params: Params, querystring: SummaryQuery, response: { 200: DailySummary } },
      preHandler: historyRead,
    },
    async (request) => {
      const { name } = request.params
      const day = localDay(request.query.date, request.query.timeZone)
      if (typeof day === 'string') throw new BadRequestError(day)
      await known(name)
      return derived.summary(name, day, now())
    },
  )

  return app
}

const CSV = 'text/csv; charset=utf-8; header=present'
const GPX = 'application/gpx+xml; charset=utf-8'

/** A download: its type, and the name it is saved under (any vehicle's name, safely). */
const download = (reply: FastifyReply, type: string, filename: string) =>
  reply.type(type).header('content-disposition', attachment(filename))

/**
 * A read's range by the rules of every read of positions: `to` defaults to now, `from` to an hour
 * before `to`; each an instant between 1970 and 9999; `from` after `to`, or a range longer than
 * `longestMs`, is a 400.
 */
function timeRange(query: { from?: string; to?: string }, now: number, longestMs = Infinity): Range {
  const to = instant('to', query.to) ?? now
  const from = instant('from', query.from) ?? to - HOUR_MS
  if (from > to) throw new BadRequestError('from must not be after to')
  if (to - from > longestMs)
    throw new BadRequestError(`the range must not be longer than ${longestMs / 86_400_000} days`)
  return { from, to }
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
