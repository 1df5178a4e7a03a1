import net from 'node:net'

/**
 * Fails at once, naming the port, when the gateway could not listen on `host`:`port` (another
 * process has it, or it is not ours to take): the launchers ask before they lock the data
 * directory, open a database or start a service, so a taken port costs nothing. Port 0 (any free
 * one) always can.
 */
export async function checkPort(host: string, port: number): Promise<void> {
  if (port === 0) return
  const server = net.createServer()
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, host, resolve)
    })
  } catch (error) {
    const code = (error as { code?: string }).code
    throw new Error(
      code === 'EADDRINUSE'
        ? `port ${port} on ${host} is already in use: stop what listens there, or choose another with PORT`
        : `cannot listen on ${host}:${port} (${code ?? String(error)}): choose another port with PORT or interface with HOST`,
      { cause: error },
    )
  }
  await new Promise((resolve) => server.close(resolve))
}
