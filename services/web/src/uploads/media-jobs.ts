import type { Media, MediaStatus } from '../shared/types.ts'

/** How far along a job is: a later status never gives way to an earlier one. */
const STAGE: Record<MediaStatus, number> = { uploaded: 0, converting: 1, ready: 2, failed: 2 }

/** The badge of each status. */
export const STATUS_LABELS: Record<MediaStatus, string> = {
  uploaded: 'Uploaded',
  converting: 'Converting',
  ready: 'Ready',
  failed: 'Failed',
}

/**
 * Whether `incoming` is a later state of the job than `current`: a later `updatedAt`, or the same
 * one and a later stage. Live frames, the upload's own answer and a reloaded list can arrive in
 * any order (a fast conversion's `converting` frame may come before the upload's 202).
 */
export function isNewer(incoming: Media, current: Media): boolean {
  const [a, b] = [Date.parse(incoming.updatedAt), Date.parse(current.updatedAt)]
  if (a !== b && Number.isFinite(a) && Number.isFinite(b)) return a > b
  return STAGE[incoming.status] > STAGE[current.status]
}

/** Newest first, as `GET /api/media` lists them (ties by id, so the order is stable). */
function byNewest(a: Media, b: Media): number {
  return Date.parse(b.createdAt) - Date.parse(a.createdAt) || a.id.localeCompare(b.id)
}

/** The list with `media` in it: added if new, replacing its older state, ignored if older. */
export function mergeMedia(list: readonly Media[], media: Media): Media[] {
  const current = list.find((item) => item.id === media.id)
  if (current === undefined) return [...list, media].sort(byNewest)
  if (!isNewer(media, current)) return [...list]
  return list.map((item) => (item.id === media.id ? media : item))
}

/**
 * The list as the server now has it (after a reload or a reconnect), keeping what was seen live
 * and is newer than the server's answer, and leaving out the jobs in `deleted`.
 */
export function reconcileMedia(
  shown: readonly Media[],
  fresh: readonly Media[],
  deleted: ReadonlySet<string> = new Set(),
): Media[] {
  const known = new Map(shown.map((item) => [item.id, item]))
  return fresh
    .filter((item) => !deleted.has(item.id))
    .map((item) => {
      const seen = known.get(item.id)
      return seen && isNewer(seen, item) ? seen : item
    })
    .sort(byNewest)
}

/** What a screen reader hears when a job changes: "clip.mp4 is ready to download." */
export function statusAnnouncement(media: Media): string {
  const name = media.filename
  switch (media.status) {
    case 'uploaded':
      return `${name} is uploaded and waits to be converted.`
    case 'converting':
      return `${name} is being converted.`
    case 'ready':
      return `${name} is ready to download.`
    case 'failed':
      return `${name} could not be converted: ${failureReason(media)}`
  }
}

/** Why a job failed, as a sentence ("No audio track."). */
export function failureReason(media: Media): string {
  const reason = media.error?.trim() || 'no reason was given'
  const sentence = reason.charAt(0).toUpperCase() + reason.slice(1)
  return /[.!?]$/.test(sentence) ? sentence : `${sentence}.`
}
