import { format, validate, ValidationSeverity, type ValidatorSettings } from 'dockerfile-utils'

/** Every check of the linter (dockerfile-utils) turned up to an error. */
const STRICT: Required<ValidatorSettings> = {
  deprecatedMaintainer: ValidationSeverity.ERROR,
  directiveCasing: ValidationSeverity.ERROR,
  emptyContinuationLine: ValidationSeverity.ERROR,
  instructionCasing: ValidationSeverity.ERROR,
  instructionCmdMultiple: ValidationSeverity.ERROR,
  instructionEntrypointMultiple: ValidationSeverity.ERROR,
  instructionHealthcheckMultiple: ValidationSeverity.ERROR,
  instructionJSONInSingleQuotes: ValidationSeverity.ERROR,
  instructionWorkdirRelative: ValidationSeverity.ERROR,
}

/**
 * What the linter finds wrong (syntax, unknown instructions or flags, bad ports, single-quoted
 * JSON, relative WORKDIR, several CMDs in a stage...) and where its formatter would change the file.
 */
export function lintDockerfile(text: string): string[] {
  const diagnostics = validate(text, STRICT).map(
    ({ range, message }) =>
      `line ${range.start.line + 1}: ${typeof message === 'string' ? message : message.value}`,
  )
  const edits = format(text, { tabSize: 2, insertSpaces: true }).map(
    ({ range }) => `line ${range.start.line + 1}: not formatted (dockerfile-utils format)`,
  )
  return [...diagnostics, ...edits]
}

/** One instruction of a Dockerfile: continuation lines joined, comments dropped. */
export interface Instruction {
  keyword: string
  args: string
  line: number
}

/** A build stage: its base image (or an earlier stage), its name, its instructions after FROM. */
export interface Stage {
  base: string
  name?: string
  instructions: Instruction[]
}

export function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = []
  let pending = ''
  let start = 0
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim()
    // Docker skips comment and empty lines, even between continuation lines.
    if (line === '' || line.startsWith('#')) return
    if (pending === '') start = index + 1
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `
      return
    }
    const [, keyword = '', args = ''] = /^(\S+)\s*(.*)$/s.exec(pending + line) ?? []
    pending = ''
    const instruction = { keyword: keyword.toUpperCase(), args: args.trim(), line: start }
    if (instruction.keyword === 'FROM') {
      const [base = '', as, name] = instruction.args.split(/\s+/).filter((word) => !word.startsWith('--'))
      stages.push({ base, name: as?.toUpperCase() === 'AS' ? name : undefined, instructions: [] })
    } else {
      stages.at(-1)?.instructions.push(instruction)
    }
  })
  return stages
}

/**
 * Whether an image reference names a version down to at least its minor (`node:24.21.0-bookworm-slim`,
 * `postgres:18.6-bookworm`: PostgreSQL's full versions have two parts) or a digest; `node`,
 * `node:24`, `node:lts-slim` and `node:latest` float.
 */
export function isPinned(image: string): boolean {
  if (/@sha256:[0-9a-f]{64}$/.test(image)) return true
  const tag = /:([^:/]+)$/.exec(image)?.[1]
  return tag !== undefined && /^v?\d+\.\d+(\.\d+)?([-.]|$)/.test(tag)
}

/** The arguments of an exec-form instruction (`["node", "main.ts"]`), or null for shell form. */
export function execForm(args: string): string[] | null {
  try {
    const parsed: unknown = JSON.parse(args)
    return Array.isArray(parsed) && parsed.every((item) => typeof item === 'string') ? parsed : null
  } catch {
    return null
  }
}

const SECRET_NAME = /PASSWORD|SECRET|TOKEN|CREDENTIAL|(^|_)KEY($|_)/i
const RUNNERS = new Set(['npm', 'npx', 'yarn', 'pnpm', 'sh', 'bash', '/bin/sh', '/bin/bash'])

/**
 * The project's rules for every image (docs/deploy.md#containers), as a list of problems (empty:
 * none). Multi-stage; every base pinned to a version; every stage that runs a program (the last,
 * and any build target with a CMD) runs as a numeric non-root user, starts its program directly in
 * exec form (so it is PID 1 and gets SIGTERM), and holds no dev dependencies; no secret in ARG or ENV; COPY, never ADD.
 */
export function checkDockerfile(text: string): string[] {
  const stages = parseDockerfile(text)
  const final = stages.at(-1)
  if (!final) return ['no FROM']
  const problems: string[] = []
  const names = new Set(stages.map((stage) => stage.name).filter(Boolean))
  if (stages.length < 2) problems.push('not multi-stage: dependencies are installed where the service runs')
  for (const { base } of stages) {
    if (names.has(base)) continue
    if (base.includes('$')) problems.push(`FROM ${base}: a variable base image cannot be checked`)
    else if (!isPinned(base)) problems.push(`FROM ${base}: not pinned to a version or digest`)
  }
  for (const stage of stages) {
    for (const { keyword, args, line } of stage.instructions) {
      if (keyword === 'ADD') problems.push(`line ${line}: ADD (use COPY)`)
      if (keyword === 'ARG' || keyword === 'ENV')
        for (const name of variableNames(args).filter((name) => SECRET_NAME.test(name)))
          problems.push(`line ${line}: ${keyword} ${name} looks like a secret baked into the image`)
      if (keyword === 'RUN' && /\bnpm (install|i)\b/.test(args))
        problems.push(`line ${line}: npm install (use npm ci: exactly the lockfile)`)
    }
  }

  // Every stage that starts a program is an image someone runs (a build target, or the last stage).
  // (`ENTRYPOINT []` only clears the base image's entrypoint: it starts nothing.)
  const runnable = stages.filter((stage) =>
    stage.instructions.some(
      (i) => i.keyword === 'CMD' || (i.keyword === 'ENTRYPOINT' && execForm(i.args)?.length !== 0),
    ),
  )
  if (runnable.length === 0) problems.push('final stage: no CMD or ENTRYPOINT')
  for (const stage of runnable) {
    const where = stages.length > 1 && stage.name ? `stage ${stage.name}` : 'final stage'
    const user = stage.instructions.filter((i) => i.keyword === 'USER').at(-1)?.args
    if (!user) problems.push(`${where}: no USER (runs as root)`)
    else if (!/^\d+(:\d+)?$/.test(user))
      problems.push(`USER ${user}: not numeric (runAsNonRoot cannot verify it)`)
    else if (/^0(:|$)/.test(user)) problems.push(`USER ${user}: root`)

    for (const { keyword, args } of stage.instructions.filter(
      (i) => i.keyword === 'CMD' || i.keyword === 'ENTRYPOINT',
    )) {
      const argv = execForm(args)
      if (!argv)
        problems.push(`${keyword} ${args}: shell form (a shell is PID 1 and keeps SIGTERM from Node)`)
      else if (RUNNERS.has(argv[0] ?? ''))
        problems.push(
          `${keyword} ${args}: ${argv[0]} runs the service as its child (SIGTERM may not reach it)`,
        )
    }

    // node_modules reach an image from the stages it is built on or copies them from: none of those
    // may install dev dependencies. (A stage may also copy only a build's output, such as a bundle.)
    const installers = [stage, ...stages.filter((other) => copiesDependencies(stage, other))]
    for (const { args, line } of installers
      .flatMap((s) => s.instructions)
      .filter((i) => /\bnpm ci\b/.test(i.args)))
      if (!/--omit[= ]dev\b/.test(args))
        problems.push(`line ${line}: npm ci without --omit=dev reaches the image`)
  }
  return problems
}

/** `ENV A=1 B=2` → [A, B]; `ENV A 1` → [A]; `ARG A` → [A]. */
function variableNames(args: string): string[] {
  if (!args.includes('=')) return [args.split(/\s+/)[0] ?? '']
  return [...args.matchAll(/(?:^|\s)([A-Za-z_]\w*)=/g)].map((match) => match[1] ?? '')
}

/**
 * Whether `target` is built on `stage` or copies from it a folder that can hold node_modules:
 * its working directory, a parent of it, or a node_modules folder (not, say, a build's dist/).
 */
function copiesDependencies(target: Stage, stage: Stage): boolean {
  if (!stage.name || stage === target) return false
  if (target.base === stage.name) return true
  const workdir = stage.instructions.filter((i) => i.keyword === 'WORKDIR').at(-1)?.args ?? '/'
  return target.instructions
    .filter((i) => i.keyword === 'COPY')
    .map((i) => i.args.split(/\s+/))
    .filter((words) => words.includes(`--from=${stage.name}`))
    .flatMap((words) => words.filter((word) => !word.startsWith('--')).slice(0, -1))
    .map((source) => source.replace(/(.)\/+$/, '$1'))
    .some(
      (source) =>
        ['.', '/', workdir].includes(source) ||
        source.endsWith('node_modules') ||
        workdir.startsWith(`${source}/`),
    )
}
