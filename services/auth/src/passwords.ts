import { randomBytes } from 'node:crypto'
import argon2, { type HashOptions } from 'argon2'

export interface PasswordHasher {
  hash(password: string): Promise<string>
  /** True when `password` matches `hash`; with no hash (no such user) it still spends the same work. */
  verify(hash: string | undefined, password: string): Promise<boolean>
  /** True when `hash` was made with other parameters than the current ones (rehash it on login). */
  outdated(hash: string): boolean
}

/**
 * argon2id with the configured memory and passes, one lane. Verifying for a user that does not
 * exist checks the password against a hash of a random one made with the same parameters, so
 * an unknown user and a wrong password cost the same time and give the same answer.
 */
export async function passwordHasher(cost: { memoryKiB: number; timeCost: number }): Promise<PasswordHasher> {
  const options: HashOptions = {
    type: argon2.argon2id,
    memoryCost: cost.memoryKiB,
    timeCost: cost.timeCost,
    parallelism: 1,
  }
  const decoy = await argon2.hash(randomBytes(32).toString('base64url'), options)
  return {
    hash: (password) => argon2.hash(password, options),
    async verify(hash, password) {
      const matches = await argon2.verify(hash ?? decoy, password).catch(() => false)
      return matches && hash !== undefined
    },
    outdated: (hash) => argon2.needsRehash(hash, options),
  }
}

/** A password for the first admin when none is configured: 24 random characters. */
export const randomPassword = () => randomBytes(18).toString('base64url')
