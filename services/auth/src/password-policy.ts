import { dictionary } from '@zxcvbn-ts/language-common'
import type { Role } from '@convoy/contracts'

/** The fewest characters a password may have: NIST SP 800-63B's minimum, more for an admin. */
export const MIN_LENGTH = 8
export const MIN_ADMIN_LENGTH = 12

/**
 * The ~49,000 passwords people use most (zxcvbn-ts's list, from leaked password sets), lower-cased:
 * the first ones an attacker tries.
 */
const COMMON = new Set(dictionary['passwords-common'].map((word) => word.toLowerCase()))

/** Words of this system itself, which a guesser tries along with the username. */
const CONTEXT = ['convoy', 'fleet', 'dispatch', 'dispatcher', 'admin', 'administrator']

/** Letters and digits only, lower-cased: `Alice_2024!` → `alice2024`. */
const core = (text: string) => text.toLowerCase().replace(/[^\p{L}\p{N}]/gu, '')

/**
 * Why `password` may not be `username`'s, or undefined when it may, following NIST SP 800-63B:
 * a minimum length (8 characters, 12 for an admin; counted in Unicode characters, spaces
 * allowed), no composition rules, and none of what is guessed first — a common password, one
 * character repeated, the username or a word of this system with digits or symbols around it.
 *
 * @example
 * passwordProblem('password', { username: 'ann', role: 'viewer' }) // → 'it is one of the most common passwords'
 */
export function passwordProblem(
  password: string,
  user: { username: string; role: Role },
): string | undefined {
  const length = [...password].length
  const minimum = user.role === 'admin' ? MIN_ADMIN_LENGTH : MIN_LENGTH
  if (length < minimum)
    return `a password needs at least ${minimum} characters${user.role === 'admin' ? ' for an admin' : ''}`
  if (password.trim() === '') return 'a password cannot be only spaces'
  if (new Set(password.toLowerCase()).size === 1) return 'a password cannot be one character repeated'
  if (COMMON.has(password.toLowerCase()) || COMMON.has(password.trim().toLowerCase()))
    return 'it is one of the most common passwords, which are guessed first'
  const letters = core(password)
  const name = core(user.username.split('@')[0]!)
  const guessable = [name, ...CONTEXT].filter((word) => word.length > 0)
  // The word itself, with digits or symbols added, is guessed right after the word.
  if (guessable.some((word) => letters === word || new RegExp(`^\\d*${word}\\d*$`).test(letters)))
    return 'it is too close to the username or the name of this system'
  return undefined
}
