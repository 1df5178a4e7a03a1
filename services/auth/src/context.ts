import type { Revocation } from '@convoy/access'
import type { SigningKeys } from './keys.ts'
import type { LoginThrottle } from './login-throttle.ts'
import type { PasswordHasher } from './passwords.ts'
import type { AuthStore } from './store.ts'

export interface AuthSettings {
  issuer: string
  audience: string
  accessTtlSeconds: number
  refreshTtlSeconds: number
}

/** What the auth routes work with. */
export interface AuthContext {
  store: AuthStore
  keys: SigningKeys
  hasher: PasswordHasher
  settings: AuthSettings
  throttle: LoginThrottle
  /** A user's sessions ended: void their tokens here at once, and everywhere else within seconds. */
  revoked(revocation: Revocation | undefined): void
}
