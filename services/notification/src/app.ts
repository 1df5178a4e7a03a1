import { Email, MAY_RECEIVE_FLEET_ALERTS, Notification } from '@convoy/contracts'
import { authenticate, type Principal, type Verifier } from '@convoy/access'
import { Type } from '@convoy/platform/config'
import { UnauthorizedError } from '@convoy/platform/errors'
import { createHttpApp, type HttpAppOptions } from '@convoy/platform/http'
import type { NotificationStore } from './store.ts'

/** The most items a list answers with, newest first. */
export const LIST_LIMIT = 50

/**
 * The notification service's HTTP API: each user sees their own notifications and emails, and the
 * fleet alerts when their role receives them. Every route needs an access token. Builds the app;
 * never listens (main.ts does).
 */
export function buildApp(options: HttpAppOptions & { store: NotificationStore; verifier: Verifier }) {
  const app = createHttpApp(options)
  app.addHook('onRequest', authenticate(options.verifier))
  const { store } = options

  app.get('/notifications', { schema: { response: { 200: Type.Array(Notification) } } }, (request) => {
    const { userId, role } = caller(request.principal)
    return store.notifications(userId, { fleetAlerts: MAY_RECEIVE_FLEET_ALERTS.includes(role) }, LIST_LIMIT)
  })

  app.get('/notifications/emails', { schema: { response: { 200: Type.Array(Email) } } }, (request) =>
    store.emails(caller(request.principal).userId, LIST_LIMIT),
  )

  return app
}

/** The user the request's token speaks for (set by `authenticate`). */
function caller(principal: Principal | undefined): Principal {
  if (!principal) throw new UnauthorizedError('this route needs an access token')
  return principal
}
