import { ROLES, type UserChanges } from '@convoy/contracts'
import { ROLE_LABELS } from '../session/account-menu.ts'
import type { Api } from '../shared/api.ts'
import { plural } from '../shared/plural.ts'
import { problemText } from '../shared/problem-text.ts'
import type { Role, User } from '../shared/types.ts'
import { askPassword, confirmDelete } from '../shared/user-dialogs.ts'

const A_ROLE: Record<Role, string> = { admin: 'an admin', dispatcher: 'a dispatcher', viewer: 'a viewer' }
const collator = new Intl.Collator('en', { numeric: true })

export interface UsersPageOptions {
  api: Pick<Api, 'users' | 'createUser' | 'updateUser' | 'deleteUser'>
  /** The signed-in admin's username. */
  me(): string | null
  /** The admin changed their own account: renew the session so that the change applies now. */
  ownAccountChanged(): Promise<void>
}

interface Row {
  user: User
  tr: HTMLTableRowElement
  role: HTMLSelectElement
  status: HTMLElement
  toggle: HTMLButtonElement
  busy: boolean
}

/**
 * The user admin (admins only; the server answers 403 to anyone else): list, add, change the
 * role, disable or enable, set a new password, delete after a confirmation. What the server
 * refuses is shown in its own words (the last enabled admin, a taken name, a bad name).
 */
export class UsersPage {
  readonly #options: UsersPageOptions
  readonly #rows = new Map<string, Row>()
  readonly #tbody: HTMLElement
  readonly #count: HTMLElement
  readonly #status: HTMLElement
  readonly #error: HTMLElement
  readonly #create: HTMLFormElement
  readonly #createError: HTMLElement
  readonly #deleteDialog: HTMLDialogElement
  readonly #passwordDialog: HTMLDialogElement

  constructor(root: HTMLElement, options: UsersPageOptions) {
    this.#options = options
    const field = (name: string) => root.querySelector(`.card-flush [data-field="${name}"]`) as HTMLElement
    this.#tbody = field('rows')
    this.#count = field('count')
    this.#status = field('status')
    this.#error = field('error')
    this.#create = root.querySelector('#new-user') as HTMLFormElement
    this.#createError = root.querySelector('[data-field="create-error"]') as HTMLElement
    this.#deleteDialog = root.querySelector('#delete-dialog') as HTMLDialogElement
    this.#passwordDialog = root.querySelector('#password-dialog') as HTMLDialogElement

    this.#create.addEventListener('submit', (event) => {
      event.preventDefault()
      void this.#add()
    })
    this.#tbody.addEventListener('click', (event) => {
      const button = (event.target as Element).closest<HTMLButtonElement>('button[data-action]')
      const row = this.#rowOf(button)
      if (!button || !row || row.busy) return
      if (button.dataset.action === 'toggle') void this.#toggle(row)
      else if (button.dataset.action === 'password') void this.#setPassword(row)
      else if (button.dataset.action === 'delete') void this.#delete(row)
    })
    this.#tbody.addEventListener('change', (event) => {
      const row = this.#rowOf(event.target as Element)
      if (row) void this.#changeRole(row, row.role.value as Role)
    })
  }

  /** Loads the list afresh (each time the page is shown). */
  async load(): Promise<void> {
    this.#say(null)
    try {
      this.#render(await this.#options.api.users())
    } catch (error) {
      this.#fail(error)
    }
  }

  /** Forgets everything shown (signed out). */
  reset(): void {
    this.#render([])
    this.#say(null)
    this.#create.reset()
    this.#createError.hidden = true
  }

  async #add(): Promise<void> {
    const elements = this.#create.elements
    const value = (name: string) => (elements.namedItem(name) as HTMLInputElement | HTMLSelectElement).value
    const submit = this.#create.querySelector('button[type="submit"]') as HTMLButtonElement
    if (submit.disabled) return
    submit.disabled = true
    this.#createError.hidden = true
    try {
      const user = await this.#options.api.createUser({
        username: value('username').trim(),
        password: value('password'),
        role: value('role') as Role,
      })
      this.#create.reset()
      this.#render([...this.#users(), user])
      this.#say(`Added ${user.username} as ${A_ROLE[user.role]}.`)
      ;(elements.namedItem('username') as HTMLInputElement).focus()
    } catch (error) {
      this.#say(null)
      this.#createError.textContent = problemText(error)
      this.#createError.hidden = false
    } finally {
      submit.disabled = false
    }
  }

  #changeRole(row: Row, role: Role): Promise<void> {
    return this.#update(row, { role }, (user) => `${user.username} is now ${A_ROLE[user.role]}.`)
  }

  #toggle(row: Row): Promise<void> {
    return this.#update(row, { disabled: !row.user.disabled }, (user) =>
      user.disabled
        ? `${user.username} is disabled and can no longer sign in.`
        : `${user.username} is enabled again.`,
    )
  }

  async #setPassword(row: Row): Promise<void> {
    const { username } = row.user
    const saved = await askPassword(this.#passwordDialog, username, async ({ password }) => {
      this.#fill(row, await this.#options.api.updateUser(username, { password: password! }))
    })
    if (saved) this.#say(`New password set for ${username}.`)
  }

  async #delete(row: Row): Promise<void> {
    const { username } = row.user
    const self = username === this.#options.me()
    if (!(await confirmDelete(this.#deleteDialog, username, self))) return
    await this.#busy(row, async () => {
      await this.#options.api.deleteUser(username)
      this.#render(this.#users().filter((user) => user.username !== username))
      this.#say(`Deleted ${username}.`)
      if (self) await this.#options.ownAccountChanged()
    })
  }

  async #update(row: Row, changes: UserChanges, done: (user: User) => string): Promise<void> {
    const ok = await this.#busy(row, async () => {
      const user = await this.#options.api.updateUser(row.user.username, changes)
      this.#fill(row, user)
      this.#say(done(user))
      if (user.username === this.#options.me()) await this.#options.ownAccountChanged()
    })
    if (!ok) this.#fill(row, row.user) // back to what the server has
  }

  /** Runs an action on a row, one at a time; false (and the server's words shown) when it failed. */
  async #busy(row: Row, action: () => Promise<void>): Promise<boolean> {
    row.busy = true
    row.tr.setAttribute('aria-busy', 'true')
    try {
      await action()
      return true
    } catch (error) {
      this.#fail(error)
      return false
    } finally {
      row.busy = false
      row.tr.removeAttribute('aria-busy')
    }
  }

  #render(users: User[]): void {
    const sorted = [...users].sort((a, b) => collator.compare(a.username, b.username))
    let previous: Element | null = null
    for (const user of sorted) {
      const row = this.#rows.get(user.username) ?? this.#newRow(user)
      this.#fill(row, user)
      // Rows stay where they are when the order holds (moving one would take its focus away).
      const expected: Element | null = previous ? previous.nextElementSibling : this.#tbody.firstElementChild
      if (expected !== row.tr) this.#tbody.insertBefore(row.tr, expected)
      previous = row.tr
    }
    const names = new Set(sorted.map((user) => user.username))
    for (const [name, row] of this.#rows) {
      if (names.has(name)) continue
      row.tr.remove()
      this.#rows.delete(name)
    }
    this.#count.textContent = users.length > 0 ? `${users.length} ${plural(users.length, 'user')}` : ''
  }

  #newRow(user: User): Row {
    const doc = this.#tbody.ownerDocument
    const element = <K extends keyof HTMLElementTagNameMap>(tag: K, className = '', text = '') => {
      const node = doc.createElement(tag)
      node.className = className
      node.textContent = text
      return node
    }
    const { username } = user
    const tr = element('tr')
    tr.dataset.username = username

    const nameCell = element('th')
    nameCell.scope = 'row'
    const name = element('div', 'user-name')
    const avatar = element('span', 'avatar', username.charAt(0))
    avatar.setAttribute('aria-hidden', 'true')
    name.append(avatar, element('span', 'user-name-text', username))
    if (username === this.#options.me()) name.append(element('span', 'you-badge', 'you'))
    nameCell.append(name)

    const role = element('select', 'control')
    role.setAttribute('aria-label', `Role of ${username}`)
    for (const value of ROLES) {
      const option = element('option', '', ROLE_LABELS[value])
      option.value = value
      role.append(option)
    }
    const status = element('span', 'status-badge')

    const button = (action: string, text: string, label: string, extra = '') => {
      const node = element('button', `button button-small ${extra}`.trim(), text)
      node.type = 'button'
      node.dataset.action = action
      node.setAttribute('aria-label', label)
      return node
    }
    const toggle = button('toggle', '', '')
    const actions = element('td', 'user-actions')
    actions.append(
      toggle,
      button('password', 'Reset password', `Reset password of ${username}`),
      button('delete', 'Delete', `Delete ${username}`, 'button-quiet-danger'),
    )

    const cell = (child: HTMLElement) => {
      const td = element('td')
      td.append(child)
      return td
    }
    tr.append(nameCell, cell(role), cell(status), actions)
    const row: Row = { user, tr, role, status, toggle, busy: false }
    this.#rows.set(username, row)
    return row
  }

  #fill(row: Row, user: User): void {
    row.user = user
    row.role.value = user.role
    row.status.dataset.state = user.disabled ? 'disabled' : 'enabled'
    row.status.textContent = user.disabled ? 'Disabled' : 'Enabled'
    const verb = user.disabled ? 'Enable' : 'Disable'
    row.toggle.textContent = verb
    row.toggle.setAttribute('aria-label', `${verb} ${user.username}`)
    row.tr.toggleAttribute('data-disabled', user.disabled)
  }

  #users(): User[] {
    return [...this.#rows.values()].map((row) => row.user)
  }

  #rowOf(element: Element | null): Row | undefined {
    const name = element?.closest<HTMLElement>('tr[data-username]')?.dataset.username
    return name === undefined ? undefined : this.#rows.get(name)
  }

  /** A success line (or none); it replaces the errors shown before. */
  #say(message: string | null): void {
    if (message !== null) this.#createError.hidden = true
    this.#error.hidden = true
    this.#status.hidden = message === null
    this.#status.textContent = message ?? ''
  }

  #fail(error: unknown): void {
    this.#status.hidden = true
    this.#error.textContent = problemText(error)
    this.#error.hidden = false
  }
}
