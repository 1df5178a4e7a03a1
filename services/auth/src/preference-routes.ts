import { Preferences, preferencesProblem } from '@convoy/contracts'
import { BadRequestError, UnauthorizedError } from '@convoy/platform/errors'
import type { HttpApp } from '@convoy/platform/http'
import type { AuthContext } from './context.ts'

/**
 * A user's own preferences, any role: read them (the defaults until they saved some), or replace
 * them with a whole new document. The schema refuses an unknown field, a value of another type or
 * outside its choices (no coercion); a time zone the runtime does not know is a 400 too.
 */
export function preferenceRoutes(app: HttpApp, { store }: AuthContext) {
  app.get('/auth/me/preferences', { schema: { response: { 200: Preferences } } }, (request) =>
    store.preferences(request.principal!.userId),
  )

  app.put(
    '/auth/me/preferences',
    { schema: { body: Preferences, response: { 200: Preferences } } },
    async (request) => {
      const problem = preferencesProblem(request.body)
      if (problem) throw new BadRequestError(problem)
      const { userId, username } = request.principal!
      if (!(await store.savePreferences(userId, request.body)))
        throw new UnauthorizedError('the account is gone; log in again')
      request.log.info({ username, userId }, 'preferences saved')
      return request.body
    },
  )
}
