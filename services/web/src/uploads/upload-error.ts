import { ApiError } from '../shared/api-error.ts'
import { formatBytes } from '../shared/byte-size.ts'
import { problemText } from '../shared/problem-text.ts'
import { UploadCancelled } from './video-upload.ts'

/**
 * Why an upload failed, in the words shown under it: the server's problem detail ("Not a video:
 * …"), with the size limit of a 413 in megabytes rather than bytes.
 */
export function uploadErrorText(error: unknown): string {
  if (error instanceof UploadCancelled) return 'Upload cancelled.'
  if (!(error instanceof ApiError)) return problemText(error)
  if (error.status === 0) return 'The upload was interrupted: Convoy cannot be reached. Try again.'
  if (error.status === 413) {
    const limit = /limit of (\d+) bytes/.exec(error.detail)?.[1]
    return limit
      ? `This video is larger than the limit of ${formatBytes(Number(limit))}.`
      : 'This video is larger than the limit.'
  }
  if (error.status === 403) return 'Your role cannot upload videos: dispatchers and admins can.'
  if (error.status === 401) return 'Your session has ended. Please sign in again.'
  return problemText(error)
}
