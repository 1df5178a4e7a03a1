/**
 * A private nginx for comparisons: its own config, pid file, logs and temp paths in a temp
 * directory, run in the foreground as our child and stopped by the cleanup registry. The
 * system's nginx configuration is never read or touched.
 */
import { spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { eventually } from '@convoy/platform/testing'
import { onCleanup } from './cleanup.ts'
import { stopChild } from './services.ts'

export interface Nginx {
  url: string
  /** The master process; its workers are its children. */
  pid: number
  stop(): Promise<void>
}

/**
 * nginx proxying `/api/vehicles/…` to `/vehicles/…` of `upstreamPort`, like the gateway's
 * route, over a pool of keep-alive connections.
 */
export async function startNginx(options: {
  port: number
  upstreamPort: number
  workers: number
}): Promise<Nginx> {
  const dir = await mkdtemp(path.join(tmpdir(), 'convoy-bench-nginx-'))
  onCleanup('nginx temp dir', () => rm(dir, { recursive: true, force: true }))
  const conf = `
daemon off;
worker_processes ${options.workers};
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream tracker {
    server 127.0.0.1:${options.upstreamPort};
    keepalive 64;
  }
  server {
    listen 127.0.0.1:${options.port};
    location /api/vehicles/ {
      proxy_pass http://tracker/vehicles/;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`
  await writeFile(`${dir}/nginx.conf`, conf)
  const child = spawn('nginx', ['-p', dir, '-c', `${dir}/nginx.conf`, '-e', `${dir}/error.log`], {
    stdio: ['ignore', 'inherit', 'inherit'],
  })
  const stop = () => stopChild(child)
  onCleanup('nginx', stop)
  const url = `http://127.0.0.1:${options.port}`
  await eventually(
    async () => {
      if (child.exitCode !== null) throw new Error(`nginx exited with code ${child.exitCode}`)
      await fetch(`${url}/`)
      return true
    },
    'nginx listening',
    10_000,
  )
  return { url, pid: child.pid!, stop }
}
