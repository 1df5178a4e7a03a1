import { loginErrorMessage } from './login-error.ts'

/** The sign-in form: username and password, with what went wrong said in words. */
export class LoginPage {
  readonly #root: HTMLElement
  readonly #form: HTMLFormElement
  readonly #username: HTMLInputElement
  readonly #password: HTMLInputElement
  readonly #submit: HTMLButtonElement
  readonly #note: HTMLElement
  readonly #error: HTMLElement
  readonly #signIn: (username: string, password: string) => Promise<unknown>
  #busy = false

  constructor(root: HTMLElement, signIn: (username: string, password: string) => Promise<unknown>) {
    this.#root = root
    this.#signIn = signIn
    this.#form = root.querySelector('form') as HTMLFormElement
    this.#username = this.#form.elements.namedItem('username') as HTMLInputElement
    this.#password = this.#form.elements.namedItem('password') as HTMLInputElement
    this.#submit = this.#form.querySelector('button[type="submit"]') as HTMLButtonElement
    this.#note = root.querySelector('#login-note') as HTMLElement
    this.#error = root.querySelector('#login-error') as HTMLElement
    this.#form.addEventListener('submit', (event) => {
      event.preventDefault()
      void this.#submitForm()
    })
  }

  /**
   * Shows the page with an optional note (why the user is here), the username filled in when it is
   * known (a session that ended), and the keyboard focus in the first empty field.
   */
  show({ note, username }: { note?: string; username?: string } = {}): void {
    this.#root.hidden = false
    this.#note.hidden = !note
    this.#note.textContent = note ?? ''
    this.#error.hidden = true
    this.#password.value = ''
    if (username !== undefined) this.#username.value = username
    ;(this.#username.value ? this.#password : this.#username).focus()
  }

  hide(): void {
    this.#root.hidden = true
    this.#password.value = ''
  }

  async #submitForm(): Promise<void> {
    if (this.#busy) return
    this.#setBusy(true)
    this.#error.hidden = true
    try {
      // Names are lower-case letters and digits; a phone may add a capital or a trailing space.
      await this.#signIn(this.#username.value.trim(), this.#password.value)
      this.#password.value = ''
    } catch (error) {
      this.#note.hidden = true
      this.#error.textContent = loginErrorMessage(error)
      this.#error.hidden = false
      this.#password.select()
      this.#password.focus()
    } finally {
      this.#setBusy(false)
    }
  }

  #setBusy(busy: boolean): void {
    this.#busy = busy
    this.#submit.disabled = busy
    this.#submit.textContent = busy ? 'Signing in…' : 'Sign in'
    this.#form.setAttribute('aria-busy', String(busy))
  }
}
