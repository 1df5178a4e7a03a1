import { useLayoutEffect, useRef, useState } from 'preact/hooks'
import { formText } from '../shared/hooks.ts'
import { loginErrorMessage } from './login-error.ts'

export interface LoginPageProps {
  /** Why the user is here ("You have signed out."), and the username to fill in when it is known. */
  note?: string
  username?: string
  signIn: (username: string, password: string) => Promise<unknown>
}

/**
 * The sign-in form: username and password, with what went wrong said in words. The keyboard focus
 * starts in the first empty field.
 */
export function LoginPage({ note, username, signIn }: LoginPageProps) {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const usernameInput = useRef<HTMLInputElement>(null)
  const passwordInput = useRef<HTMLInputElement>(null)
  useLayoutEffect(() => {
    ;(usernameInput.current?.value ? passwordInput.current : usernameInput.current)?.focus()
  }, [])

  const onSubmit = (event: SubmitEvent) => {
    event.preventDefault()
    if (busy) return
    const data = new FormData(event.currentTarget as HTMLFormElement)
    setBusy(true)
    setError(null)
    // Names are lower-case letters and digits; a phone may add a capital or a trailing space.
    signIn(formText(data, 'username').trim(), formText(data, 'password')).catch((failure: unknown) => {
      setBusy(false)
      setError(loginErrorMessage(failure))
      passwordInput.current?.select()
      passwordInput.current?.focus()
    })
  }

  return (
    <main class="login" id="login" aria-labelledby="login-title">
      <form class="login-card" id="login-form" aria-busy={busy} onSubmit={onSubmit}>
        <svg class="login-mark" viewBox="0 0 32 32" aria-hidden="true">
          <rect width="32" height="32" rx="8" fill="#2563eb" />
          <path d="M16 5.5 24 25l-8-4.2L8 25z" fill="#fff" />
        </svg>
        <h1 class="login-title" id="login-title">
          Sign in to Convoy
        </h1>
        <p class="login-lead">Live positions of the whole fleet.</p>
        <p class="login-note" id="login-note" role="status" hidden={!note || error !== null}>
          {note}
        </p>
        <div class="field">
          <label for="login-username">Username</label>
          <input
            ref={usernameInput}
            id="login-username"
            name="username"
            autocomplete="username"
            autocapitalize="none"
            spellcheck={false}
            maxLength={64}
            required
            defaultValue={username}
          />
        </div>
        <div class="field">
          <label for="login-password">Password</label>
          <input
            ref={passwordInput}
            id="login-password"
            name="password"
            type="password"
            autocomplete="current-password"
            maxLength={1024}
            required
          />
        </div>
        <p class="form-error" id="login-error" role="alert" hidden={error === null}>
          {error}
        </p>
        <button type="submit" class="button button-primary button-block" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  )
}
