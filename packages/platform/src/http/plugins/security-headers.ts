import fp from 'fastify-plugin'

/**
 * API answers are for the caller alone and never to be sniffed into another type: every answer,
 * errors included, carries `x-content-type-options: nosniff` and `cache-control: no-store`. A
 * route that sets its own Cache-Control (the JWKS, the web app's assets) keeps it.
 */
export const securityHeaders = fp(
  async (app) => {
    app.addHook('onSend', async (_request, reply) => {
      reply.header('x-content-type-options', 'nosniff')
      if (!reply.hasHeader('cache-control') && !reply.raw.hasHeader('cache-control'))
        reply.header('cache-control', 'no-store')
    })
  },
  { name: 'security-headers' },
)
