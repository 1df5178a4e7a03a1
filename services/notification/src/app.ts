import { Email, Notification } from '@convoy/contracts'
import { authenticate, type Principal, type Verifier } from '@convoy/access'
import { Type } from '@convoy/platform/config'
import { UnauthorizedError } from '@convoy/platform/errors'
import { createHttpApp, type HttpAppOptions } from '@convoy/platform/http'
import type { NotificationStore } from './store.ts'

/** The most items a list answers with, newest first. */
export const LIST_LIMIT = 50

/**
 * The notification service's HTTP API: each user sees only their own notifications and emails.
 * Every route needs an access token. Builds the app; never listens (main.ts does).
 */
export function buildApp(options: HttpAppOptions & { store: NotificationStore; verifier: Verifier }) {
  const app = createHttpApp(options)
  app.addHook('onRequest', authenticate(options.verifier))
  const { store } = options

  app.get('/notifications', { schema: { response: { 200: Type.Array(Notification) } } }, (request) =>
    store.notifications(caller(request.principal), LIST_LIMIT),
  )

  app.get('/notifications/emails', { schema: { response: { 200: Type.Array(Email) } } }, (request) =>
    store.emails(caller(request.principal), LIST_LIMIT),
  )

  return app
}

/** The id of the user the request's token speaks for (set by `authenticate`). */
function caller(principal: Principal | undefined): string {
  if (!principal) throw new UnauthorizedError('this route needs an access token')
  return principal.userId
}
