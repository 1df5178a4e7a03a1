import { ApiError } from '../shared/api-error.ts'
import type { Api } from '../shared/api.ts'
import { confirmDialog } from '../shared/confirm-dialog.ts'
import { DropZone } from './drop-zone.ts'
import { EmailsView } from './emails-view.ts'
import { MediaListView } from './media-list-view.ts'
import { mergeMedia, reconcileMedia, statusAnnouncement } from './media-jobs.ts'
import { problemText } from '../shared/problem-text.ts'
import { saveFile } from '../shared/save-file.ts'
import { MAY_UPLOAD } from '@convoy/contracts'
import type { Email, Media, Role } from '../shared/types.ts'
import { UploadQueue } from './upload-queue.ts'
import type { Upload } from './video-upload.ts'

/** How often "4 min ago" is redrawn, and how soon an email waiting to be sent is looked at again. */
const TICK_MS = 20_000
const EMAIL_RETRY_MS = 1_000

export interface UploadsPageOptions {
  api: Pick<Api, 'media' | 'deleteMedia' | 'mp3' | 'emails'>
  /** Starts sending a video (see video-upload.ts). */
  upload(file: File, onProgress: (loaded: number, total: number) => void): Upload
}

/**
 * `#/uploads`: send videos (drop or choose, with progress and Cancel), follow their conversion
 * live, download the MP3s, delete jobs, and read the emails sent about them. Viewers see why
 * they cannot upload instead.
 */
export class UploadsPage {
  readonly #root: HTMLElement
  readonly #options: UploadsPageOptions
  readonly #drop: DropZone
  readonly #queue: UploadQueue
  readonly #jobs: MediaListView
  readonly #emails: EmailsView
  readonly #denied: HTMLElement
  readonly #sections: HTMLElement[]
  readonly #status: HTMLElement
  readonly #error: HTMLElement
  readonly #emailError: HTMLElement
  readonly #announcer: HTMLElement
  readonly #deleteDialog: HTMLDialogElement
  #media: Media[] = []
  #emailList: Email[] = []
  /** Jobs deleted here: a late live event or list must not bring them back. */
  readonly #deleted = new Set<string>()
  #canUpload = false
  #visible = false
  #tick: ReturnType<typeof setInterval> | undefined
  #emailRetry: ReturnType<typeof setTimeout> | undefined
  /** Counts resets, so that an answer that comes after one is dropped. */
  #generation = 0

  constructor(root: HTMLElement, options: UploadsPageOptions) {
    this.#root = root
    this.#options = options
    const part = (name: string) => root.querySelector(`[data-part="${name}"]`) as HTMLElement
    const uploader = part('uploader')
    const jobs = part('jobs')
    const emails = part('emails')
    this.#denied = part('denied')
    this.#sections = [uploader, jobs, emails]
    this.#status = jobs.querySelector('[data-field="status"]') as HTMLElement
    this.#error = jobs.querySelector('[data-field="error"]') as HTMLElement
    this.#emailError = emails.querySelector('[data-field="error"]') as HTMLElement
    this.#announcer = part('announcer')
    this.#deleteDialog = root.querySelector('#delete-media-dialog') as HTMLDialogElement

    this.#queue = new UploadQueue(uploader.querySelector('[data-field="queue"]') as HTMLElement, {
      start: (file, onProgress) => options.upload(file, onProgress),
      onUploaded: (media) => this.apply(media, false),
      announce: (message) => this.#announce(message),
    })
    this.#drop = new DropZone(root, uploader.querySelector('[data-field="drop"]') as HTMLElement, (files) =>
      this.#queue.add(files),
    )
    this.#jobs = new MediaListView(jobs, {
      download: (media) => this.#download(media),
      remove: (media) => this.#delete(media),
    })
    this.#emails = new EmailsView(emails)
  }

  /** Who is signed in decides what the page offers: viewers cannot upload. */
  setRole(role: Role | null): void {
    this.#canUpload = role !== null && MAY_UPLOAD.includes(role)
    this.#drop.enabled = this.#canUpload
    this.#denied.hidden = role === null || this.#canUpload
    for (const section of this.#sections) section.hidden = !this.#canUpload
  }

  /** The page is on screen: load the jobs and emails afresh, and keep the times current. */
  show(): void {
    this.#visible = true
    clearInterval(this.#tick)
    this.#tick = setInterval(() => {
      this.#jobs.tick()
      this.#emails.tick()
    }, TICK_MS)
    void this.load()
  }

  hide(): void {
    this.#visible = false
    clearInterval(this.#tick)
    clearTimeout(this.#emailRetry)
    if (this.#deleteDialog.open) this.#deleteDialog.close()
  }

  /** Loads the jobs and the emails (on show, and after the live feed reconnects). */
  async load(): Promise<void> {
    if (!this.#canUpload) return
    await Promise.all([this.#loadMedia(), this.loadEmails()])
  }

  /** A job as the server now has it (a live event, or the upload's answer). */
  apply(media: Media, announce = true): void {
    if (this.#deleted.has(media.id)) return
    const before = this.#media.find((item) => item.id === media.id)
    this.#media = mergeMedia(this.#media, media)
    this.#jobs.render(this.#media)
    const now = this.#media.find((item) => item.id === media.id)
    if (announce && now?.status !== before?.status && now) this.#announce(statusAnnouncement(now))
  }

  /** Loads the emails again (a notification came: its email follows). */
  async loadEmails(): Promise<void> {
    if (!this.#canUpload) return
    clearTimeout(this.#emailRetry)
    const generation = this.#generation
    try {
      const emails = await this.#options.api.emails()
      if (generation !== this.#generation) return
      this.#emailList = emails
      this.#emailError.hidden = true
      this.#emails.render(emails)
      // An email waits for the mail server: look again shortly, while the page is open.
      if (this.#visible && emails.some((email) => !email.sentAt))
        this.#emailRetry = setTimeout(() => void this.loadEmails(), EMAIL_RETRY_MS)
    } catch (error) {
      if (generation !== this.#generation) return
      this.#emailError.textContent = problemText(error)
      this.#emailError.hidden = false
    }
  }

  /** Forgets everything shown and stops the uploads (signed out). */
  reset(): void {
    this.#generation++
    this.hide()
    this.#queue.clear()
    this.#media = []
    this.#emailList = []
    this.#deleted.clear()
    this.#jobs.render([])
    this.#emails.render(this.#emailList)
    this.#say(null)
    this.setRole(null)
  }

  async #loadMedia(): Promise<void> {
    const generation = this.#generation
    try {
      const fresh = await this.#options.api.media()
      if (generation !== this.#generation) return
      this.#media = reconcileMedia(this.#media, fresh, this.#deleted)
      this.#jobs.render(this.#media)
      this.#error.hidden = true
    } catch (error) {
      if (generation === this.#generation) this.#fail(error)
    }
  }

  async #download(media: Media): Promise<void> {
    try {
      const { blob, filename } = await this.#options.api.mp3(media)
      saveFile(this.#root.ownerDocument, blob, filename)
      this.#say(`Downloaded ${filename}.`)
    } catch (error) {
      this.#fail(error)
    }
  }

  async #delete(media: Media): Promise<void> {
    if (!(await confirmDialog(this.#deleteDialog, { name: media.filename }))) return
    try {
      await this.#options.api.deleteMedia(media.id)
    } catch (error) {
      // Already gone (another tab): the same outcome.
      if (!(error instanceof ApiError && error.status === 404)) {
        this.#fail(error)
        return
      }
    }
    this.#deleted.add(media.id)
    this.#media = this.#media.filter((item) => item.id !== media.id)
    this.#jobs.render(this.#media)
    this.#say(`Deleted ${media.filename}.`)
  }

  #announce(message: string): void {
    if (!this.#visible) return
    // A new text node, so that the same words twice are read twice.
    this.#announcer.replaceChildren(message)
  }

  /** A success line (or none); it replaces the error shown before. */
  #say(message: string | null): void {
    this.#error.hidden = true
    this.#status.hidden = message === null
    this.#status.textContent = message ?? ''
  }

  #fail(error: unknown): void {
    this.#status.hidden = true
    this.#error.textContent = problemText(error)
    this.#error.hidden = false
  }
}
