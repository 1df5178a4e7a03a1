import net from 'node:net'

export interface TcpProxy {
  port: number
  /** Drops every open connection and refuses new ones, as a dead server would. */
  cut(): void
  /** Accepts connections again. */
  restore(): void
  close(): Promise<void>
}

/**
 * A loopback TCP proxy in front of a real server, so a test can take the server "down" and
 * bring it back without touching the server itself (which other runs may share).
 */
export async function tcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>()
  let down = false
  const server = net.createServer((client) => {
    if (down) return client.destroy()
    const upstream = net.connect(target)
    sockets.add(client).add(upstream)
    const drop = () => {
      client.destroy()
      upstream.destroy()
      sockets.delete(client)
      sockets.delete(upstream)
    }
    client.on('error', drop).on('close', drop)
    upstream.on('error', drop).on('close', drop)
    client.pipe(upstream).pipe(client)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as net.AddressInfo).port,
    cut() {
      down = true
      for (const socket of sockets) socket.destroy()
    },
    restore() {
      down = false
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}
