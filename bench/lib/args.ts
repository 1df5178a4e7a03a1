/**
 * `--name=value` command-line options with defaults; the type of each default is the type of
 * the option. Unknown options are refused so a typo never silently runs the default.
 */
export function parseArgs<T extends Record<string, string | number>>(
  defaults: T,
  argv = process.argv.slice(2),
): T {
  const options: Record<string, string | number> = { ...defaults }
  for (const arg of argv) {
    const match = /^--([\w-]+)=(.*)$/.exec(arg)
    if (!match || !(match[1]! in defaults)) {
      throw new Error(
        `unknown option ${arg}; options: ${Object.keys(defaults)
          .map((k) => `--${k}=`)
          .join(' ')}`,
      )
    }
    const [, name, value] = match as unknown as [string, string, string]
    const number = Number(value)
    if (typeof defaults[name] === 'number' && !Number.isFinite(number))
      throw new Error(`--${name} needs a number`)
    options[name] = typeof defaults[name] === 'number' ? number : value
  }
  return options as T
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** Rejects if `promise` has not settled within `ms`. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** `K=V,K=V` (an option's value) as an environment. */
export const envList = (text: string): Record<string, string> =>
  Object.fromEntries(
    text
      .split(',')
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  )

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}
