import { mayOpen, ROLE_LABELS, type Page } from '../shared/roles.ts'
import type { Me } from '../shared/types.ts'

/**
 * The header's account area: who is signed in and their role, the pages they may open (Fleet,
 * Uploads for dispatchers and admins, Users for admins; none for viewers, who have one page),
 * "Change password" and "Sign out". Inline on wide screens; on phones a menu behind the avatar (CSS decides
 * which; the toggle is only visible there).
 */
export class AccountMenu {
  readonly #root: HTMLElement
  readonly #toggle: HTMLButtonElement
  readonly #nav: HTMLElement
  readonly #signOut: HTMLButtonElement

  constructor(root: HTMLElement, onSignOut: () => Promise<void>, onChangePassword: () => void) {
    this.#root = root
    this.#toggle = root.querySelector('.account-toggle') as HTMLButtonElement
    this.#nav = root.querySelector('.account-nav') as HTMLElement
    this.#signOut = root.querySelector('[data-action="sign-out"]') as HTMLButtonElement

    this.#toggle.addEventListener('click', () => this.#setOpen(!this.#isOpen))
    root.querySelector('[data-action="change-password"]')?.addEventListener('click', () => {
      this.#setOpen(false)
      onChangePassword()
    })
    this.#signOut.addEventListener('click', () => {
      this.#signOut.disabled = true
      void onSignOut().finally(() => {
        this.#signOut.disabled = false
      })
    })
    // A page chosen closes the menu.
    this.#nav.addEventListener('click', () => this.#setOpen(false))
    root.ownerDocument.addEventListener('keydown', (event) => {
      if (event.key !== 'Escape' || !this.#isOpen) return
      event.preventDefault()
      this.#setOpen(false)
      this.#toggle.focus()
    })
    root.ownerDocument.addEventListener('pointerdown', (event) => {
      if (this.#isOpen && !root.contains(event.target as Node)) this.#setOpen(false)
    })
  }

  /** Shows who is signed in, or nothing (signed out). */
  show(user: Me | null): void {
    this.#setOpen(false)
    this.#root.hidden = user === null
    if (user === null) return
    const role = ROLE_LABELS[user.role] ?? user.role
    for (const element of this.#root.querySelectorAll('[data-field="initial"]'))
      element.textContent = user.username.charAt(0)
    this.#field('username').textContent = user.username
    this.#field('role').textContent = role
    this.#toggle.setAttribute('aria-label', `Account: ${user.username}, ${role}`)
    let pages = 0
    for (const link of this.#nav.querySelectorAll<HTMLElement>('[data-page]')) {
      link.hidden = !mayOpen(link.dataset.page as Page, user.role)
      if (!link.hidden) pages++
    }
    this.#nav.hidden = pages < 2
  }

  /** Marks the current page in the navigation. */
  setPage(page: Page): void {
    for (const link of this.#nav.querySelectorAll<HTMLElement>('[data-page]')) {
      if (link.dataset.page === page) link.setAttribute('aria-current', 'page')
      else link.removeAttribute('aria-current')
    }
  }

  get #isOpen(): boolean {
    return this.#root.dataset.open !== undefined
  }

  #setOpen(open: boolean): void {
    this.#toggle.setAttribute('aria-expanded', String(open))
    if (open) this.#root.dataset.open = ''
    else delete this.#root.dataset.open
  }

  #field(name: string): HTMLElement {
    return this.#root.querySelector(`[data-field="${name}"]`) as HTMLElement
  }
}
