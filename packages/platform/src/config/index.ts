import Type, { type Static, type TObject } from 'typebox'
import Value from 'typebox/value'

export type Env = Readonly<Record<string, string | undefined>>

/** Thrown when the environment does not satisfy a service's config schema. */
export class ConfigError extends Error {
  override name = 'ConfigError'
}

/**
 * Parses a service's configuration from environment variables, once, at start.
 * Keys of the schema are the variable names; strings are converted to the declared types and
 * defaults applied. An empty variable counts as unset, but for a {@link stringOrEmpty} one. Any
 * missing or invalid variable throws a {@link ConfigError} naming it.
 *
 * @example
 * const Config = Type.Object({ PORT: port(8080), DATABASE_URL: Type.String() })
 * const config = loadConfig(Config, process.env) // config.PORT: number
 */
export function loadConfig<S extends TObject>(schema: S, env: Env = process.env): Static<S> {
  const raw: Record<string, unknown> = {}
  for (const [key, property] of Object.entries(schema.properties)) {
    const value = env[key]
    if (value !== undefined && (value !== '' || (property as { emptyIsAValue?: boolean }).emptyIsAValue))
      raw[key] = value
  }
  const value = Value.Default(schema, Value.Convert(schema, raw))
  const problems = Value.Errors(schema, value).map((error) => {
    const variable = error.instancePath.replace(/^\//, '') || missingProperty(error.params)
    return `${variable}: ${error.message}${variable in raw ? ` (got ${shown(variable, raw[variable])})` : ''}`
  })
  if (problems.length > 0) throw new ConfigError(`invalid configuration: ${problems.join('; ')}`)
  return value as Static<S>
}

/** A refused value as the error may show it: secrets hidden, passwords in URLs masked. */
function shown(variable: string, value: unknown): string {
  if (/PASSWORD|SECRET|TOKEN|KEY/i.test(variable)) return 'a value, not shown'
  return JSON.stringify(String(value).replace(/^([a-z][\w+.-]*:\/\/[^:/@]*:)[^@/]*@/i, '$1***@'))
}

function missingProperty(params: unknown): string {
  const required = (params as { requiredProperties?: string[] }).requiredProperties
  return required?.join(', ') ?? '(root)'
}

/** A TCP port with a default. */
export const port = (defaultPort: number) =>
  Type.Integer({ minimum: 0, maximum: 65535, default: defaultPort })

/**
 * The port and interface of a service's operational endpoints (`/healthz`, `/readyz`,
 * `/metrics`), apart from its API: spread into its config schema. By convention the port is the
 * API's plus 1000 (gateway 8080 → 9080).
 */
export const opsConfig = (defaultPort: number) => ({
  OPS_PORT: port(defaultPort),
  OPS_HOST: Type.String({ default: '0.0.0.0' }),
})

/**
 * A text setting for which empty is a choice of its own, not "unset" as for every other variable
 * (`TILE_URL=`: no map tiles at all); unset, it is `defaultValue`.
 */
export const stringOrEmpty = (defaultValue: string) =>
  Type.String({ default: defaultValue, emptyIsAValue: true })

/** A log level with a default of `info`. */
export const logLevel = () =>
  Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)),
    { default: 'info' },
  ) as unknown as ReturnType<typeof Type.String>

export { Type }
export type { Static }
