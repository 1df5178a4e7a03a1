import Type from 'typebox'
import { Compile } from 'typebox/compile'
import { MAY_ADMINISTER_USERS, NewUser, User, UserChanges, Username } from '@convoy/contracts'
import { requireRole } from '@convoy/access'
import { BadRequestError, ConflictError, NotFoundError } from '@convoy/platform/errors'
import type { HttpApp } from '@convoy/platform/http'
import type { AuthContext } from './context.ts'
import { MIN_ADMIN_LENGTH, passwordProblem } from './password-policy.ts'
import { adminGrade } from './session-routes.ts'

const isUsername = Compile(Username)
const UserParams = Type.Object({ username: Type.String({ minLength: 1, maxLength: 64 }) })

/** User admin, for admins only: list, create, change (role, password, disabled), delete. */
export function userRoutes(app: HttpApp, context: AuthContext) {
  const { store, hasher } = context
  const admin = { preHandler: requireRole(...MAY_ADMINISTER_USERS) }
  const userName = (raw: string) => {
    const username = raw.toLowerCase()
    if (!isUsername.Check(username)) {
      throw new BadRequestError(
        'a username is 1–64 letters, digits, ".", "_", "-" or "@", starting with a letter or digit',
      )
    }
    return username
  }
  /** A new password for `username` in `role`, hashed; 400 naming the problem when it will not do. */
  const newPassword = async (password: string, username: string, role: User['role']) => {
    const problem = passwordProblem(password, { username, role })
    if (problem) throw new BadRequestError(problem)
    return { hash: await hasher.hash(password), adminGrade: adminGrade(password, username) }
  }
  const lastAdmin = () => new ConflictError('at least one enabled admin must remain')

  app.get('/auth/users', { ...admin, schema: { response: { 200: Type.Array(User) } } }, () =>
    store.listUsers(),
  )

  app.post(
    '/auth/users',
    { ...admin, schema: { body: NewUser, response: { 201: User } } },
    async (request, reply) => {
      const username = userName(request.body.username)
      const password = await newPassword(request.body.password, username, request.body.role)
      const created = await store.createUser({
        username,
        passwordHash: password.hash,
        adminGrade: password.adminGrade,
        role: request.body.role,
      })
      if (!created) throw new ConflictError(`a user named ${JSON.stringify(username)} already exists`)
      request.log.info(
        { username, userId: created.id, role: created.role, by: request.principal!.username },
        'user created',
      )
      return reply.code(201).send(created)
    },
  )

  app.patch(
    '/auth/users/:username',
    { ...admin, schema: { params: UserParams, body: UserChanges, response: { 200: User } } },
    async (request) => {
      const username = request.params.username.toLowerCase()
      const { password, ...rest } = request.body
      const current = password ? await store.findUser(username) : undefined
      const result = await store.updateUser(username, {
        ...rest,
        ...(password
          ? { password: await newPassword(password, username, rest.role ?? current?.role ?? 'viewer') }
          : {}),
      })
      if (result === null) throw new NotFoundError(`no user named ${JSON.stringify(username)}`)
      if (result === 'last admin') throw lastAdmin()
      if (result === 'weak password')
        throw new ConflictError(
          `an admin's password needs at least ${MIN_ADMIN_LENGTH} characters: set one with the promotion`,
        )
      context.revoked(result.revocation)
      request.log.info(
        {
          username,
          userId: result.user.id,
          changed: Object.keys(request.body),
          sessionsEnded: result.revocation !== undefined,
          by: request.principal!.username,
        },
        'user changed',
      )
      return result.user
    },
  )

  app.delete(
    '/auth/users/:username',
    { ...admin, schema: { params: UserParams } },
    async (request, reply) => {
      const username = request.params.username.toLowerCase()
      const result = await store.deleteUser(username)
      if (result === false) throw new NotFoundError(`no user named ${JSON.stringify(username)}`)
      if (result === 'last admin') throw lastAdmin()
      context.revoked(result)
      request.log.info({ username, userId: result.userId, by: request.principal!.username }, 'user deleted')
      return reply.code(204).send()
    },
  )
}
