import Fastify from 'fastify'

/** Stand-ins for the tracker and web upstreams: they echo what reached them. */
export async function upstream(name: string): Promise<{ url: string; close(): Promise<void> }> {
  // Closed at once at the end, idle keep-alive connections (the proxy's pool keeps some) or not.
  const app = Fastify({ routerOptions: { maxParamLength: 100_000 }, forceCloseConnections: true })
  // Any body is fine: it is read and dropped.
  app.addContentTypeParser('*', (_request, payload, done) => {
    payload.resume()
    payload.once('end', () => done(null))
    // A body the client abandoned (through the gateway) ends the request here too.
    payload.once('error', (error) => done(error))
  })
  app.all('/*', async (request, reply) => {
    if (request.url.includes('hang')) return new Promise(() => {}) // never answers
    if (request.url.includes('bad')) {
      return reply
        .code(400)
        .type('application/problem+json')
        .send({ type: 'x', title: 'Bad Request', status: 400, detail: 'bad' })
    }
    return {
      upstream: name,
      method: request.method,
      url: request.url,
      forwardedFor: request.headers['x-forwarded-for'],
      authorization: request.headers.authorization,
      expect: request.headers.expect,
      requestId: request.headers['x-request-id'],
    }
  })
  const address = await app.listen({ port: 0, host: '127.0.0.1' })
  return { url: address, close: () => app.close() }
}
