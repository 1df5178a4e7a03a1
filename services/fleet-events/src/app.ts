import Type from 'typebox'
import {
  FleetEvent,
  FleetEventKind,
  FleetRules,
  Geofence,
  GeofenceInput,
  MAY_EDIT_FLEET_RULES,
  MAY_EDIT_GEOFENCES,
  parseTimestamp,
  Timestamp,
  VehicleName,
} from '@convoy/contracts'
import { authenticate, requireRole, type Principal, type Verifier } from '@convoy/access'
import { BadRequestError, ConflictError, NotFoundError } from '@convoy/platform/errors'
import { createHttpApp, type HttpAppOptions } from '@convoy/platform/http'
import { shapeProblem } from './geometry.ts'
import type { Author, FleetRepository } from './repository.ts'

/** The most events one answer holds, and how many when the caller does not say. */
export const MAX_EVENTS = 1000
export const DEFAULT_EVENTS = 100

const Id = Type.String({ format: 'uuid' })
const GeofenceParams = Type.Object({ id: Id })
const EventsQuery = Type.Object({
  from: Type.Optional(Timestamp),
  to: Type.Optional(Timestamp),
  vehicle: Type.Optional(VehicleName),
  kind: Type.Optional(FleetEventKind),
  geofence: Type.Optional(Id),
  limit: Type.Integer({ minimum: 1, maximum: MAX_EVENTS, default: DEFAULT_EVENTS }),
})

/**
 * fleet-events' HTTP API: geofences (every role reads; admins and dispatchers draw, change and
 * delete), the fleet's rules (every role reads; admins set) and the events, newest first. Every
 * route needs an access token, checked here as well as at the gateway. Builds the app; never
 * listens (main.ts does).
 */
export function buildApp(options: HttpAppOptions & { repository: FleetRepository; verifier: Verifier }) {
  const app = createHttpApp(options)
  app.addHook('onRequest', authenticate(options.verifier))
  const { repository } = options
  const editGeofences = { preHandler: requireRole(...MAY_EDIT_GEOFENCES) }
  const taken = (name: string) => new ConflictError(`a geofence named ${JSON.stringify(name)} already exists`)
  const missing = (id: string) => new NotFoundError(`no geofence with id ${id}`)

  app.get('/geofences', { schema: { response: { 200: Type.Array(Geofence) } } }, () => repository.geofences())

  app.post(
    '/geofences',
    { ...editGeofences, schema: { body: GeofenceInput, response: { 201: Geofence } } },
    async (request, reply) => {
      const input = checked(request.body)
      const geofence = await repository.createGeofence(input, author(request.principal))
      if (!geofence) throw taken(input.name)
      request.log.info(
        { geofenceId: geofence.id, name: geofence.name, by: geofence.createdBy },
        'geofence created',
      )
      return reply.code(201).send(geofence)
    },
  )

  app.put(
    '/geofences/:id',
    {
      ...editGeofences,
      schema: { params: GeofenceParams, body: GeofenceInput, response: { 200: Geofence } },
    },
    async (request) => {
      const input = checked(request.body)
      const result = await repository.replaceGeofence(request.params.id, input)
      if (result === 'missing') throw missing(request.params.id)
      if (result === 'taken') throw taken(input.name)
      request.log.info(
        { geofenceId: result.id, name: result.name, by: request.principal!.username },
        'geofence changed',
      )
      return result
    },
  )

  app.delete(
    '/geofences/:id',
    { ...editGeofences, schema: { params: GeofenceParams } },
    async (request, reply) => {
      if (!(await repository.deleteGeofence(request.params.id))) throw missing(request.params.id)
      request.log.info({ geofenceId: request.params.id, by: request.principal!.username }, 'geofence deleted')
      return reply.code(204).send()
    },
  )

  app.get('/fleet-rules', { schema: { response: { 200: FleetRules } } }, () => repository.rules())

  app.put(
    '/fleet-rules',
    {
      preHandler: requireRole(...MAY_EDIT_FLEET_RULES),
      schema: { body: FleetRules, response: { 200: FleetRules } },
    },
    async (request) => {
      const rules = await repository.setRules(request.body, author(request.principal))
      request.log.info({ rules, by: request.principal!.username }, 'fleet rules changed')
      return rules
    },
  )

  app.get(
    '/events',
    { schema: { querystring: EventsQuery, response: { 200: Type.Array(FleetEvent) } } },
    (request) => {
      const { query } = request
      const from = instant('from', query.from)
      const to = instant('to', query.to)
      if (from && to && from > to) throw new BadRequestError('from must not be after to')
      return repository.events({ ...query, from, to })
    },
  )

  return app
}

/** A geofence the schema let through, if its shape holds too (a polygon's edges may not cross); else 400. */
function checked(input: GeofenceInput): GeofenceInput {
  const problem = shapeProblem(input.shape)
  if (problem) throw new BadRequestError(`body/shape: ${problem}`)
  return input
}

function author(principal: Principal | undefined): Author {
  return { userId: principal!.userId, username: principal!.username }
}

/** A query's instant (undefined when absent); one no database can hold is a 400. */
function instant(name: string, text: string | undefined): Date | undefined {
  if (text === undefined) return undefined
  const time = parseTimestamp(text)
  if (time === null) throw new BadRequestError(`${name} must be an instant between 1970 and 9999`)
  return new Date(time)
}
