import type { FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'

/**
 * Ajv's options for every schema of the app (Fastify's `ajv.customOptions`): no type coercion, so
 * a JSON body's `123` is not the string "123", and a property a schema forbids is refused rather
 * than dropped. Query and path parameters, which are text, are converted by
 * {@link strictParameters}.
 */
export const NO_COERCION = { coerceTypes: false, removeAdditional: false } as const

/** An integer written in decimal digits (a leading minus allowed), small enough to be exact. */
const INTEGER = /^-?\d{1,15}$/
/** A decimal number: digits, optionally a fraction. No exponent, sign `+`, spaces, hex or words. */
const DECIMAL = /^-?\d{1,15}(\.\d{1,15})?$/

interface PropertySchema {
  type?: unknown
}

/**
 * Turns the query and path parameters a route declares as numbers or booleans from text into
 * values, strictly: `limit=16` is 16, while `0x10`, `1e3`, `Infinity`, ` 5`, `+5` and 400 digits
 * stay text, which the schema then refuses with a 400 naming the parameter. Ajv's own coercion,
 * which this replaces (`coerceTypes` is off everywhere, bodies included: {@link NO_COERCION}),
 * reads all of those as numbers — `Infinity` even passes `maximum` and reached the database as a
 * 500.
 */
export const strictParameters = fp(
  async (app) => {
    app.addHook('preValidation', async (request) => {
      const schema = request.routeOptions.schema
      if (schema?.querystring) convert(schema.querystring, request.query, (value) => (request.query = value))
      if (schema?.params) convert(schema.params, request.params, (value) => (request.params = value))
    })
  },
  { name: 'strict-parameters' },
)

function convert(schema: unknown, input: FastifyRequest['query'], set: (value: object) => void): void {
  const properties = (schema as { properties?: Record<string, PropertySchema> }).properties
  if (!properties || typeof input !== 'object' || input === null) return
  const values = { ...(input as Record<string, unknown>) }
  let changed = false
  for (const [name, property] of Object.entries(properties)) {
    const text = values[name]
    if (typeof text !== 'string') continue
    const value = parse(property.type, text)
    if (value !== undefined) {
      values[name] = value
      changed = true
    }
  }
  if (changed) set(values)
}

function parse(type: unknown, text: string): number | boolean | undefined {
  if (type === 'integer' && INTEGER.test(text)) return Number(text)
  if (type === 'number' && DECIMAL.test(text)) return Number(text)
  if (type === 'boolean' && (text === 'true' || text === 'false')) return text === 'true'
  return undefined
}
