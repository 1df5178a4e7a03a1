import { Counter, type Registry } from 'prom-client'
import type { RevocationList } from './revocations.ts'

/** Why a token was refused: a short fixed list, so the label stays bounded whatever tokens arrive. */
export const FAILURE_REASONS = [
  'expired',
  'bad_signature',
  'unknown_key',
  'algorithm',
  'claims',
  'malformed',
  'revoked',
  'keys_unavailable',
  'revocations_unknown',
] as const
export type FailureReason = (typeof FAILURE_REASONS)[number]

export interface VerifierMetrics {
  failed(reason: FailureReason): void
  jwksFetchFailed(): void
}

const none: VerifierMetrics = { failed() {}, jwksFetchFailed() {} }

/**
 * What a verifier counts, on the service's registry: the tokens it refused by reason, the JWKS
 * fetches that failed, and the revocations that reached its list. Every series starts at 0, so
 * that a rate over it is defined before the first failure. Without a registry, nothing is counted.
 */
export function verifierMetrics(
  registry: Registry | undefined,
  revocations: RevocationList,
): VerifierMetrics {
  if (!registry) return none
  const failures = new Counter({
    name: 'auth_token_verification_failures_total',
    help: 'Access tokens refused, by reason (the cause of the 401, or keys_unavailable / revocations_unknown for a 503)',
    labelNames: ['reason'] as const,
    registers: [registry],
  })
  for (const reason of FAILURE_REASONS) failures.inc({ reason }, 0)
  const jwks = new Counter({
    name: 'auth_jwks_fetch_failures_total',
    help: "Fetches of auth's signing keys (JWKS) that failed: unreachable, timed out, or not 200",
    registers: [registry],
  })
  const applied = new Counter({
    name: 'auth_revocations_applied_total',
    help: "Revocations that voided a user's older sessions in this process (announced, or read from the complete list)",
    registers: [registry],
  })
  revocations.onRevoked(() => applied.inc())
  return {
    failed: (reason) => failures.inc({ reason }),
    jwksFetchFailed: () => jwks.inc(),
  }
}
