/**
 * The containers topology for a test or a benchmark: every image built here with podman (the
 * service images from the Dockerfile as compose.yaml builds them; test stand-ins for the ones a
 * registry would give), then compose.yaml itself run by docker-compose against podman's
 * Docker-compatible socket, on ports of its own.
 *
 * Podman runs healthchecks from systemd timers, and there is no systemd here: while the topology
 * runs, each container's healthcheck is run every 2 s (`podman healthcheck run`), as the timers
 * would, so that compose's `condition: service_healthy` orders the start as it does on Docker.
 */
import { setTimeout } from 'node:timers/promises'
import { freePorts } from '@convoy/platform/testing'
import {
  buildServiceImages,
  buildStandIns,
  COMPOSE_FILE,
  composeImages,
  ROOT,
  type ServiceImage,
} from './images.ts'
import { startPodman, type Podman } from './podman.ts'

/** Every Convoy service of compose.yaml, in the order compose starts them. */
export const SERVICES = [
  'auth',
  'position-tracker',
  'fleet-events',
  'media',
  'notification',
  'converter',
  'web',
  'gateway',
  'position-simulator',
] as const

export interface Container {
  Id: string
  Config: { User: string }
  HostConfig: { ReadonlyRootfs: boolean }
  State: { Status: string; ExitCode: number; StartedAt: string; FinishedAt: string }
}

export interface Topology {
  podman: Podman
  /** The gateway, as published on 127.0.0.1. */
  url: string
  ports: { gateway: number; rabbitmq: number; mailpit: number }
  /** The images compose.yaml builds and the ones it pulls. */
  images: { built: ServiceImage[]; pulled: string[] }
  /** Seconds each step took: building the stand-ins, the service images, starting. */
  timings: Record<string, number>
  /** Runs `docker-compose …` on this topology. */
  compose(...args: string[]): Promise<string>
  /** A service's container, as `podman inspect` shows it. */
  container(service: string): Promise<Container>
  /** Runs a command in a service's container. */
  exec(service: string, ...command: string[]): Promise<string>
  close(): Promise<void>
}

/** Builds every image and starts compose.yaml; resolves once compose's `up` has returned. */
export async function startTopology(adminPassword: string): Promise<Topology> {
  const images = composeImages()
  const podman = await startPodman()
  const timings: Record<string, number> = {}
  let started = performance.now()
  const lap = (step: string) => {
    timings[step] = Math.round((performance.now() - started) / 100) / 10
    started = performance.now()
  }
  const ports = { gateway: 0, rabbitmq: 0, mailpit: 0 }
  const project = `convoy${process.pid}`
  const compose = (...args: string[]) =>
    podman.compose(['--project-name', project, '--file', COMPOSE_FILE, ...args], {
      cwd: ROOT,
      env: {
        CONVOY_ADMIN_PASSWORD: adminPassword,
        GATEWAY_PUBLISHED_PORT: String(ports.gateway),
        RABBITMQ_UI_PUBLISHED_PORT: String(ports.rabbitmq),
        MAILPIT_UI_PUBLISHED_PORT: String(ports.mailpit),
        LOG_LEVEL: 'warn',
      },
    })
  const containerId = async (service: string) => (await compose('ps', '--quiet', service)).trim()
  let healthchecks: Promise<void> | undefined
  let stopped = false
  const close = async () => {
    stopped = true
    await healthchecks
    await compose('down', '--volumes', '--timeout', '5').catch(() => {})
    await podman.close()
  }
  try {
    await buildStandIns(podman, images.pulled)
    lap('stand-ins')
    await buildServiceImages(podman, images.built)
    lap('service images')
    healthchecks = runHealthchecks(podman, project, () => stopped)
    // Chosen now, not before the builds: other tests take ports meanwhile.
    ;[ports.gateway, ports.rabbitmq, ports.mailpit] = (await freePorts(3)) as [number, number, number]
    await compose('up', '--detach', '--no-build')
    lap('compose up')
  } catch (error) {
    await close()
    throw error
  }
  return {
    podman,
    images,
    url: `http://127.0.0.1:${ports.gateway}`,
    ports,
    timings,
    compose,
    container: async (service) =>
      (JSON.parse(await podman.podman(['inspect', await containerId(service)])) as Container[])[0]!,
    exec: async (service, ...command) => podman.podman(['exec', await containerId(service), ...command]),
    close,
  }
}

/**
 * Runs the healthchecks until `stopped`: every 2 s those of the containers not yet healthy (what
 * compose waits for), every 30 s all of them. One round at a time: a healthcheck is a process in
 * the container, and on two cores a pile of them would slow everything they check.
 */
async function runHealthchecks(podman: Podman, project: string, stopped: () => boolean) {
  for (let round = 0; !stopped(); round++) {
    const filters = ['--filter', `label=com.docker.compose.project=${project}`]
    const listed = await Promise.all(
      (round % 15 === 0
        ? [[]]
        : [
            ['--filter', 'health=starting'],
            ['--filter', 'health=unhealthy'],
          ]
      ).map((health) => podman.podman(['ps', '--quiet', ...filters, ...health]).catch(() => '')),
    )
    const ids = listed.flatMap((ids) => ids.split('\n')).filter(Boolean)
    await Promise.all(ids.map((id) => podman.podman(['healthcheck', 'run', id]).catch(() => {})))
    await setTimeout(2000)
  }
}
