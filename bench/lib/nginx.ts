/**
 * A private nginx for comparisons (`runNginx`: its own prefix, pid file and temp paths in a temp
 * directory, run in the foreground as our child), stopped by the cleanup registry.
 */
import { runNginx } from '@convoy/platform/testing'
import { onCleanup } from './cleanup.ts'

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
  // Relative paths are under runNginx's temp prefix.
  const config = `
worker_processes ${options.workers};
pid nginx.pid;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path client_body;
  proxy_temp_path proxy;
  fastcgi_temp_path fastcgi;
  uwsgi_temp_path uwsgi;
  scgi_temp_path scgi;
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
  const url = `http://127.0.0.1:${options.port}`
  const nginx = await runNginx({ config, readyUrl: `${url}/` })
  onCleanup('nginx', nginx.stop)
  return { url, pid: nginx.pid, stop: nginx.stop }
}
