import Type from 'typebox'
import { parseTimestamp, Position, Timestamp, Vehicle, VehicleName } from '@convoy/contracts'
import { authenticate, type Verifier } from '@convoy/platform/auth'
import { BadRequestError, NotFoundError } from '@convoy/platform/errors'
import { createHttpApp, type HttpAppOptions } from '@convoy/platform/http'
import type { PositionsRepository } from './repository.ts'

const HOUR_MS = 3_600_000
const Params = Type.Object({ name: VehicleName })
const HistoryQuery = Type.Object({
  from: Type.Optional(Timestamp),
  to: Type.Optional(Timestamp),
  limit: Type.Integer({ minimum: 1, maximum: 10_000, default: 1000 }),
})

/**
 * The tracker's HTTP API; every route needs an access token (any role), checked here as well as
 * at the gateway. Builds the app; never listens (main.ts does).
 */
export function buildApp(options: HttpAppOptions & { repository: PositionsRepository; verifier: Verifier }) {
  const app = createHttpApp(options)
  app.addHook('onRequest', authenticate(options.verifier))
  const { repository } = options

  app.get('/vehicles', { schema: { response: { 200: Type.Array(Vehicle) } } }, () => repository.list())

  app.get('/vehicles/:name', { schema: { params: Params, response: { 200: Vehicle } } }, async (request) => {
    const vehicle = await repository.find(request.params.name)
    if (!vehicle) throw new NotFoundError(`no vehicle named ${JSON.stringify(request.params.name)}`)
    return vehicle
  })

  app.get(
    '/vehicles/:name/history',
    {
      schema: {
        params: Params,
        querystring: HistoryQuery,
        response: { 200: Type.Object({ name: Type.String(), positions: Type.Array(Position) }) },
      },
    },
    async (request) => {
      const { name } = request.params
      const to = new Date(instant('to', request.query.to) ?? Date.now())
      const from = new Date(instant('from', request.query.from) ?? to.getTime() - HOUR_MS)
      if (from > to) throw new BadRequestError('from must not be after to')
      if (!(await repository.find(name))) throw new NotFoundError(`no vehicle named ${JSON.stringify(name)}`)
      return { name, positions: await repository.history(name, { from, to, limit: request.query.limit }) }
    },
  )

  return app
}

/** A query's instant in epoch ms (undefined when absent); one no database can hold is a 400. */
function instant(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined
  const time = parseTimestamp(text)
  if (time === null) throw new BadRequestError(`${name} must be an instant between 1970 and 9999`)
  return time
}
