import { signal } from '@preact/signals'
import { deleted } from '../shared/api-error.ts'
import type { Api } from '../shared/api.ts'
import { formatProgress } from '../shared/byte-size.ts'
import { problemText } from '../shared/problem-text.ts'
import type { Email, Media } from '../shared/types.ts'
import { mergeMedia, reconcileMedia, statusAnnouncement } from './media-jobs.ts'
import { uploadErrorText } from './upload-error.ts'
import { UploadCancelled, type Upload } from './video-upload.ts'

/** How soon an email waiting to be sent is looked at again, while the page is open. */
const EMAIL_RETRY_MS = 1_000

/** A video being sent: its row in the queue. */
export interface Sending {
  id: number
  name: string
  /** `checking`: sent, media now checks that it is a video; `failed` stays until dismissed. */
  state: 'sending' | 'checking' | 'failed'
  percent: number
  /** "1.2 of 3.4 MB". */
  sent: string
  error: string
  upload: Upload | null
}

export interface UploadsStoreOptions {
  api: Pick<Api, 'media' | 'deleteMedia' | 'emails'>
  /** Starts sending a video (see video-upload.ts). */
  upload(file: File, onProgress: (loaded: number, total: number) => void): Upload
}

/**
 * One user's uploads, kept while they are signed in whichever page is open: the videos being
 * sent, their jobs (live events, the upload's answer and reloads merged, see media-jobs.ts) and
 * the emails sent about them. A new store is made for each signed-in user, so an answer that
 * arrives after sign-out lands in a store nobody shows.
 */
export class UploadsStore {
  readonly sending = signal<readonly Sending[]>([])
  readonly jobs = signal<readonly Media[]>([])
  readonly emails = signal<readonly Email[]>([])
  /** The last failure of loading the jobs or the emails, in words (null when they loaded). */
  readonly jobsError = signal<string | null>(null)
  readonly emailsError = signal<string | null>(null)
  /** A line for screen readers, numbered so that the same words twice are read twice. */
  readonly announcement = signal<{ text: string; count: number }>({ text: '', count: 0 })
  /** Whether the uploads page is on screen: only then are changes announced and emails polled. */
  visible = false

  readonly #options: UploadsStoreOptions
  /** Jobs deleted here: a late live event or list must not bring them back. */
  readonly #deleted = new Set<string>()
  #nextId = 0
  #emailRetry: ReturnType<typeof setTimeout> | undefined

  constructor(options: UploadsStoreOptions) {
    this.#options = options
  }

  /** Loads the jobs and the emails (the page opened, or the live feed reconnected). */
  async load(): Promise<void> {
    await Promise.all([this.#loadJobs(), this.loadEmails()])
  }

  /** A job as the server now has it (a live event, or the upload's answer). */
  apply(media: Media, announce = true): void {
    if (this.#deleted.has(media.id)) return
    const before = this.jobs.value.find((item) => item.id === media.id)
    this.jobs.value = mergeMedia(this.jobs.value, media)
    const now = this.jobs.value.find((item) => item.id === media.id)
    if (announce && now && now.status !== before?.status) this.announce(statusAnnouncement(now))
  }

  /**
   * Loads the emails again (a notification came: its email follows). `more`: an email is still to
   * come (a fleet alert's is made once auth has named its recipients, after the alert is pushed).
   */
  async loadEmails(more = false): Promise<void> {
    clearTimeout(this.#emailRetry)
    try {
      const emails = await this.#options.api.emails()
      this.emails.value = emails
      this.emailsError.value = null
      // An email waits for the mail server, or is still to come: look again shortly, while the
      // page is open.
      if (this.visible && (more || emails.some((email) => !email.sentAt)))
        this.#emailRetry = setTimeout(() => void this.loadEmails(), EMAIL_RETRY_MS)
    } catch (error) {
      this.emailsError.value = problemText(error)
    }
  }

  /** Deletes a job and both its files; already gone (another tab) is the same outcome. */
  async delete(media: Media): Promise<void> {
    await deleted(this.#options.api.deleteMedia(media.id))
    this.#deleted.add(media.id)
    this.jobs.value = this.jobs.value.filter((item) => item.id !== media.id)
  }

  /** Starts sending each file, one row each. */
  add(files: readonly File[]): void {
    for (const file of files) this.#send(file)
  }

  /** Takes a failed upload's row away. */
  dismiss(id: number): void {
    this.sending.value = this.sending.value.filter((item) => item.id !== id)
  }

  /** Cancels an upload in flight (its row goes once the upload has stopped). */
  cancel(id: number): void {
    this.sending.value.find((item) => item.id === id)?.upload?.cancel()
  }

  /** Stops the uploads and the polling (signed out). */
  close(): void {
    this.visible = false
    clearTimeout(this.#emailRetry)
    for (const item of this.sending.value) item.upload?.cancel()
    this.sending.value = []
  }

  announce(text: string): void {
    if (this.visible) this.announcement.value = { text, count: this.announcement.value.count + 1 }
  }

  async #loadJobs(): Promise<void> {
    try {
      const fresh = await this.#options.api.media()
      this.jobs.value = reconcileMedia(this.jobs.value, fresh, this.#deleted)
      this.jobsError.value = null
    } catch (error) {
      this.jobsError.value = problemText(error)
    }
  }

  #send(file: File): void {
    const id = this.#nextId++
    const name = file.name || 'video'
    const change = (changes: Partial<Sending>) => {
      this.sending.value = this.sending.value.map((item) => (item.id === id ? { ...item, ...changes } : item))
    }
    const progress = (loaded: number, total: number): Partial<Sending> => {
      const { percent, sent } = formatProgress(loaded, total || file.size)
      return percent === 100 ? { state: 'checking', percent } : { percent, sent }
    }
    const row: Sending = {
      id,
      name,
      state: 'sending',
      percent: 0,
      sent: '',
      error: '',
      upload: null,
      ...progress(0, file.size),
    }
    this.sending.value = [...this.sending.value, row]
    const upload = this.#options.upload(file, (loaded, total) => change(progress(loaded, total)))
    change({ upload })
    upload.done.then(
      (media) => {
        this.dismiss(id)
        this.apply(media, false)
        this.announce(`${name} is uploaded. Its conversion starts shortly.`)
      },
      (failure: unknown) => {
        if (!this.sending.value.some((item) => item.id === id)) return // closed meanwhile
        if (failure instanceof UploadCancelled) {
          this.dismiss(id)
          this.announce(`The upload of ${name} was cancelled.`)
          return
        }
        change({ state: 'failed', error: uploadErrorText(failure), upload: null })
      },
    )
  }
}
