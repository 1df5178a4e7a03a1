import { ROLES, type UserChanges } from '@convoy/contracts'
import { useEffect, useRef, useState } from 'preact/hooks'
import type { Api } from '../shared/api.ts'
import { ConfirmDialog, PasswordDialog, type PasswordField } from '../shared/dialogs.tsx'
import { formText, useMounted } from '../shared/hooks.ts'
import { plural } from '../shared/plural.ts'
import { problemText } from '../shared/problem-text.ts'
import { A_ROLE, ROLE_LABELS } from '../shared/roles.ts'
import type { Role, User } from '../shared/types.ts'

const collator = new Intl.Collator('en', { numeric: true })
/** A new user's roles, the fewest rights first: the form's default is a viewer. */
const NEW_USER_ROLES = ROLES.toReversed()
const PASSWORD_HINT = 'At least 8 characters (12 for an admin), not a common one nor the username'
const RESET_FIELDS: readonly PasswordField[] = [
  {
    id: 'reset-password',
    name: 'password',
    label: 'New password',
    autocomplete: 'new-password',
    hint: PASSWORD_HINT,
  },
]

export interface UsersPageProps {
  api: Pick<Api, 'users' | 'createUser' | 'updateUser' | 'deleteUser'>
  /** The signed-in admin's username. */
  me: string
  /** The admin changed their own account: renew the session so that the change applies now. */
  ownAccountChanged: () => Promise<void>
}

/** The last outcome said on the page: a success line, or the server's words in an alert. */
type Message = { tone: 'status' | 'error'; text: string } | null

/**
 * The user admin (admins only; the server answers 403 to anyone else): list, add, change the
 * role, disable or enable, set a new password, delete after a confirmation. What the server
 * refuses is shown in its own words (the last enabled admin, a taken name, a bad name). The list is
 * loaded each time the page opens.
 */
export function UsersPage({ api, me, ownAccountChanged }: UsersPageProps) {
  const [users, setUsers] = useState<User[]>([])
  const [message, setMessage] = useState<Message>(null)
  const [createError, setCreateError] = useState<string | null>(null)
  const [resetting, setResetting] = useState<string | null>(null)
  const [deleting, setDeleting] = useState<string | null>(null)
  const mounted = useMounted()

  const say = (text: string) => {
    setCreateError(null)
    setMessage({ tone: 'status', text })
  }
  const fail = (error: unknown) => setMessage({ tone: 'error', text: problemText(error) })
  const replace = (user: User) =>
    setUsers((list) => list.map((each) => (each.username === user.username ? user : each)))

  useEffect(() => {
    api.users().then(
      (list) => mounted() && setUsers(list),
      (error: unknown) => mounted() && fail(error),
    )
  }, [])

  /** Changes a user; the message says what the server did (or why it refused). */
  async function update(username: string, changes: UserChanges, done: (user: User) => string) {
    try {
      const user = await api.updateUser(username, changes)
      if (!mounted()) return
      replace(user)
      say(done(user))
      if (user.username === me) await ownAccountChanged()
    } catch (error) {
      if (mounted()) fail(error)
    }
  }

  async function remove(username: string) {
    try {
      await api.deleteUser(username)
      if (!mounted()) return
      setUsers((list) => list.filter((user) => user.username !== username))
      say(`Deleted ${username}.`)
      if (username === me) await ownAccountChanged()
    } catch (error) {
      if (mounted()) fail(error)
    }
  }

  const sorted = [...users].sort((a, b) => collator.compare(a.username, b.username))
  return (
    <div class="users-inner">
      <header class="users-head">
        <h1 class="users-title" id="users-title">
          Users
        </h1>
        <p class="users-lead">
          Who can sign in, and what they may do: <strong>admins</strong> manage users,{' '}
          <strong>dispatchers</strong> work with the fleet, <strong>viewers</strong> watch it.
        </p>
      </header>

      <NewUserForm
        create={async (user) => {
          const created = await api.createUser(user)
          if (!mounted()) return
          setUsers((list) => [...list, created])
          say(`Added ${created.username} as ${A_ROLE[created.role]}.`)
        }}
        error={createError}
        onError={(error) => {
          setMessage(null)
          setCreateError(problemText(error))
        }}
      />

      <section class="card card-flush" aria-labelledby="user-list-title">
        <div class="card-head">
          <h2 class="card-title" id="user-list-title">
            All users
          </h2>
          <span class="card-count">
            {users.length > 0 ? `${users.length} ${plural(users.length, 'user')}` : ''}
          </span>
        </div>
        <p class="notice" role="status" hidden={message?.tone !== 'status'}>
          {message?.tone === 'status' ? message.text : ''}
        </p>
        <p class="form-error notice" role="alert" hidden={message?.tone !== 'error'}>
          {message?.tone === 'error' ? message.text : ''}
        </p>
        <table class="user-table">
          <thead>
            <tr>
              <th scope="col">Username</th>
              <th scope="col">Role</th>
              <th scope="col">Status</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {sorted.map((user) => (
              <UserRow
                key={user.username}
                user={user}
                you={user.username === me}
                update={(changes, done) => update(user.username, changes, done)}
                onReset={() => setResetting(user.username)}
                onDelete={() => setDeleting(user.username)}
              />
            ))}
          </tbody>
        </table>
      </section>

      {deleting !== null && (
        <ConfirmDialog
          id="delete-dialog"
          title={
            <>
              Delete <span>{deleting}</span>?
            </>
          }
          confirm="Delete user"
          onAnswer={(confirmed) => {
            setDeleting(null)
            if (confirmed) void remove(deleting)
          }}
        >
          <p>They will no longer be able to sign in. This cannot be undone.</p>
          {deleting === me && <p class="dialog-warning">This is your own account: you will be signed out.</p>}
        </ConfirmDialog>
      )}
      {resetting !== null && (
        <PasswordDialog
          id="password-dialog"
          username={resetting}
          title={
            <>
              New password for <span>{resetting}</span>
            </>
          }
          fields={RESET_FIELDS}
          submit="Set password"
          save={async ({ password }) => {
            const user = await api.updateUser(resetting, { password: password! })
            if (mounted()) replace(user)
          }}
          onDone={(saved) => {
            setResetting(null)
            if (saved) say(`New password set for ${resetting}.`)
          }}
        />
      )}
    </div>
  )
}

interface NewUserFormProps {
  create: (user: { username: string; password: string; role: Role }) => Promise<void>
  error: string | null
  onError: (error: unknown) => void
}

/** "Add a user": username, password and role; ready for the next one once added. */
function NewUserForm({ create, error, onError }: NewUserFormProps) {
  const [busy, setBusy] = useState(false)
  const form = useRef<HTMLFormElement>(null)

  const onSubmit = (event: SubmitEvent) => {
    event.preventDefault()
    if (busy) return
    const element = form.current!
    const data = new FormData(element)
    setBusy(true)
    create({
      username: formText(data, 'username').trim(),
      password: formText(data, 'password'),
      role: formText(data, 'role') as Role,
    })
      .then(() => {
        element.reset()
        element.querySelector<HTMLInputElement>('#new-username')?.focus()
      }, onError)
      .finally(() => setBusy(false))
  }

  return (
    <section class="card" aria-labelledby="new-user-title">
      <h2 class="card-title" id="new-user-title">
        Add a user
      </h2>
      <form ref={form} class="new-user" id="new-user" onSubmit={onSubmit}>
        <div class="field">
          <label for="new-username">Username</label>
          <input
            id="new-username"
            name="username"
            autocomplete="off"
            autocapitalize="none"
            spellcheck={false}
            maxLength={64}
            required
          />
        </div>
        <div class="field">
          <label for="new-password">Password</label>
          <input
            id="new-password"
            name="password"
            type="password"
            autocomplete="new-password"
            minLength={8}
            maxLength={1024}
            aria-describedby="new-password-hint"
            required
          />
          <span class="field-hint" id="new-password-hint">
            {PASSWORD_HINT}
          </span>
        </div>
        <div class="field">
          <label for="new-role">Role</label>
          <select id="new-role" name="role">
            {NEW_USER_ROLES.map((role) => (
              <option key={role} value={role}>
                {ROLE_LABELS[role]}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" class="button button-primary" disabled={busy}>
          Add user
        </button>
      </form>
      <p class="form-error" data-field="create-error" role="alert" hidden={error === null}>
        {error}
      </p>
    </section>
  )
}

interface UserRowProps {
  user: User
  you: boolean
  /** Changes the user; resolves once the server answered (whatever it said). */
  update: (changes: UserChanges, done: (user: User) => string) => Promise<void>
  onReset: () => void
  onDelete: () => void
}

/** One user: name, role (a select), status and actions; one action at a time. */
function UserRow({ user, you, update, onReset, onDelete }: UserRowProps) {
  const [busy, setBusy] = useState(false)
  const { username, disabled } = user
  const verb = disabled ? 'Enable' : 'Disable'
  // Each action ends by drawing the row again: a role the server refused goes back to its own.
  const run = (changes: UserChanges, done: (user: User) => string) => {
    if (busy) return
    setBusy(true)
    void update(changes, done).finally(() => setBusy(false))
  }
  return (
    <tr
      data-username={username}
      data-disabled={disabled ? '' : undefined}
      aria-busy={busy ? 'true' : undefined}
    >
      <th scope="row">
        <div class="user-name">
          <span class="avatar" aria-hidden="true">
            {username.charAt(0)}
          </span>
          <span class="user-name-text">{username}</span>
          {you && <span class="you-badge">you</span>}
        </div>
      </th>
      <td>
        <select
          class="control"
          aria-label={`Role of ${username}`}
          value={user.role}
          onChange={(event) =>
            run(
              { role: event.currentTarget.value as Role },
              (changed) => `${changed.username} is now ${A_ROLE[changed.role]}.`,
            )
          }
        >
          {ROLES.map((role) => (
            <option key={role} value={role}>
              {ROLE_LABELS[role]}
            </option>
          ))}
        </select>
      </td>
      <td>
        <span class="status-badge" data-state={disabled ? 'disabled' : 'enabled'}>
          {disabled ? 'Disabled' : 'Enabled'}
        </span>
      </td>
      <td class="user-actions">
        <button
          type="button"
          class="button button-small"
          aria-label={`${verb} ${username}`}
          onClick={() =>
            run({ disabled: !disabled }, (changed) =>
              changed.disabled
                ? `${changed.username} is disabled and can no longer sign in.`
                : `${changed.username} is enabled again.`,
            )
          }
        >
          {verb}
        </button>
        <button
          type="button"
          class="button button-small"
          aria-label={`Reset password of ${username}`}
          onClick={() => !busy && onReset()}
        >
          Reset password
        </button>
        <button
          type="button"
          class="button button-small button-quiet-danger"
          aria-label={`Delete ${username}`}
          onClick={() => !busy && onDelete()}
        >
          Delete
        </button>
      </td>
    </tr>
  )
}
