/**
 * The image checks themselves: a Dockerfile that keeps every rule passes, and each classic mistake
 * is caught — by the project's rules (dockerfile.ts), the linter, or the .dockerignore matcher.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { checkDockerfile, isPinned, lintDockerfile, parseDockerfile } from './dockerfile.ts'
import { dockerignore } from './dockerignore.ts'

const GOOD = `# a service
FROM node:24.21.0-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --workspace=@convoy/x \\
  && node -e "require('argon2')"

FROM node:24.21.0-bookworm-slim AS build
WORKDIR /app
COPY . .
RUN npm ci && npm run build

FROM node:24.21.0-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app ./
COPY --from=build /app/services/x/dist services/x/dist
COPY services/x services/x
USER 10001:10001
EXPOSE 8080
CMD ["node", "services/x/src/main.ts"]
`

/** GOOD with one change; fails if `from` is not in it, so a mistake is never silently not seeded. */
function mistake(from: string | RegExp, to: string): string {
  const changed = GOOD.replace(from, to)
  assert.notEqual(changed, GOOD, `seed not applied: ${String(from)}`)
  return changed
}

describe('Dockerfile rules', () => {
  test('a Dockerfile that keeps them all passes the rules and the linter', () => {
    assert.deepEqual(checkDockerfile(GOOD), [])
    assert.deepEqual(lintDockerfile(GOOD), [])
  })

  test('parses stages, continuation lines and comments', () => {
    const stages = parseDockerfile(GOOD)
    assert.deepEqual(
      stages.map((s) => [s.base, s.name]),
      [
        ['node:24.21.0-bookworm-slim', 'deps'],
        ['node:24.21.0-bookworm-slim', 'build'],
        ['node:24.21.0-bookworm-slim', undefined],
      ],
    )
    assert.match(
      stages[0]?.instructions[2]?.args ?? '',
      /^npm ci --omit=dev --workspace=@convoy\/x +&& node -e "require\('argon2'\)"$/,
    )
    assert.equal(stages[0]?.instructions[2]?.line, 5)
  })

  const cases: Array<[string, string, RegExp]> = [
    ['FROM node:latest', mistake(/FROM node:[^\s]+$/m, 'FROM node:latest'), /node:latest: not pinned/],
    [
      'an untagged FROM',
      mistake('FROM node:24.21.0-bookworm-slim AS deps', 'FROM node AS deps'),
      /node: not pinned/,
    ],
    [
      'a major-only tag',
      mistake('FROM node:24.21.0-bookworm-slim AS build', 'FROM node:24-slim AS build'),
      /not pinned/,
    ],
    ['a base image from a variable', mistake(/FROM node:[^\s]+$/m, 'FROM ${BASE}'), /variable base image/],
    [
      'a single stage',
      'FROM node:24.21.0-bookworm-slim\nWORKDIR /app\nCOPY . .\nRUN npm ci --omit=dev\nUSER 10001\nCMD ["node", "main.ts"]\n',
      /not multi-stage/,
    ],
    ['no USER', mistake('USER 10001:10001\n', ''), /no USER/],
    ['USER root', mistake('USER 10001:10001', 'USER root'), /USER root: not numeric/],
    ['a named user', mistake('USER 10001:10001', 'USER node'), /USER node: not numeric/],
    ['uid 0', mistake('USER 10001:10001', 'USER 0:0'), /USER 0:0: root/],
    ['a shell-form CMD', mistake(/^CMD .*$/m, 'CMD node services/x/src/main.ts'), /shell form/],
    ['npm start as PID 1', mistake(/^CMD .*$/m, 'CMD ["npm", "start"]'), /npm runs the service/],
    [
      'a shell ENTRYPOINT',
      mistake(/^CMD .*$/m, 'ENTRYPOINT ["sh", "-c", "node main.ts"]'),
      /sh runs the service/,
    ],
    ['no CMD', mistake(/^CMD .*$/m, ''), /no CMD or ENTRYPOINT/],
    ['dev dependencies in the image', mistake('npm ci --omit=dev', 'npm ci'), /npm ci without --omit=dev/],
    [
      'node_modules copied from the build stage',
      mistake('COPY --from=deps /app ./', 'COPY --from=build /app/node_modules node_modules'),
      /line 11: npm ci without --omit=dev/,
    ],
    [
      'a stage built on the build stage',
      mistake(/^FROM node:[^\s]+$/m, 'FROM build'),
      /npm ci without --omit=dev/,
    ],
    ['npm install', mistake('npm ci --omit=dev', 'npm install --omit=dev'), /npm install \(use npm ci/],
    [
      'a token in ENV',
      mistake('ENV NODE_ENV=production', 'ENV NODE_ENV=production NPM_TOKEN=abc'),
      /NPM_TOKEN looks like a secret/,
    ],
    [
      'a password ARG',
      mistake('WORKDIR /app\nCOPY --from', 'ARG DB_PASSWORD\nWORKDIR /app\nCOPY --from'),
      /DB_PASSWORD looks like a secret/,
    ],
    ['ADD', mistake('COPY services/x services/x', 'ADD services/x services/x'), /ADD \(use COPY\)/],
  ]
  for (const [name, dockerfile, expected] of cases) {
    test(`catches ${name}`, () => {
      const problems = checkDockerfile(dockerfile)
      assert.ok(
        problems.some((problem) => expected.test(problem)),
        `expected ${String(expected)} in:\n${problems.join('\n')}`,
      )
    })
  }

  test('pinned means a version down to the minor, or a digest', () => {
    for (const image of [
      'node:24.21.0-bookworm-slim',
      'postgres:18.6-bookworm',
      `node@sha256:${'a'.repeat(64)}`,
    ])
      assert.ok(isPinned(image), image)
    for (const image of [
      'node',
      'node:latest',
      'node:24',
      'node:24-slim',
      'node:lts-bookworm-slim',
      'registry:5000/node',
    ])
      assert.ok(!isPinned(image), image)
  })
})

describe('Dockerfile linter (dockerfile-utils)', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['an unknown instruction', mistake('ENV NODE_ENV', 'ENVV NODE_ENV'), /Unknown instruction: ENVV/],
    ['an invalid port', mistake('EXPOSE 8080', 'EXPOSE eighty'), /Invalid containerPort: eighty/],
    ['JSON in single quotes', mistake(/^CMD .*$/m, "CMD ['node', 'main.ts']"), /single quotes/],
    [
      'a relative WORKDIR',
      mistake('WORKDIR /app\nCOPY --from', 'WORKDIR app\nCOPY --from'),
      /WORKDIR paths should be absolute/,
    ],
    [
      'two CMDs in a stage',
      mistake(/^CMD .*$/m, 'CMD ["node", "a.ts"]\nCMD ["node", "b.ts"]'),
      /only be one CMD/,
    ],
    ['a lower-case instruction', mistake('EXPOSE 8080', 'expose 8080'), /uppercase/i],
  ]
  for (const [name, dockerfile, expected] of cases) {
    test(`catches ${name}`, () => {
      const problems = lintDockerfile(dockerfile)
      assert.ok(
        problems.some((problem) => expected.test(problem)),
        `expected ${String(expected)} in:\n${problems.join('\n')}`,
      )
    })
  }
})

describe('.dockerignore matcher (Docker rules)', () => {
  const ignored = dockerignore(`
# comment
*
!services/
node_modules
**/dist
services/*/test
**/*.md
!services/keep/README.md
/.env
`)

  test('matches like Docker', () => {
    const cases: Array<[string, boolean]> = [
      ['.git/HEAD', true], // `*` at the root: everything not let back in
      ['.env', true],
      ['services/x/src/main.ts', false], // `!services/` lets the folder back in
      ['node_modules/x/index.js', true], // a folder pattern covers what it holds
      ['services/x/node_modules/y.js', false], // `node_modules` without ** is the root one only
      ['services/x/dist/index.html', true], // ** spans folders
      ['services/x/test/a.test.ts', true], // * stays within one segment
      ['services/x/y/test/a.ts', false],
      ['services/x/README.md', true],
      ['services/keep/README.md', false], // the last matching line wins
    ]
    for (const [path, expected] of cases) assert.equal(ignored(path), expected, path)
  })
})
