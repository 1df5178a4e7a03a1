import { formatProgress } from '../shared/byte-size.ts'
import { button, element, icon, ICONS } from '../shared/dom.ts'
import type { Media } from '../shared/types.ts'
import { uploadErrorText } from './upload-error.ts'
import { UploadCancelled, type Upload } from './video-upload.ts'

export interface UploadQueueOptions {
  /** Starts sending `file`, reporting the bytes sent. */
  start(file: File, onProgress: (loaded: number, total: number) => void): Upload
  /** Media took the video: its job. */
  onUploaded(media: Media): void
  /** A line for screen readers. */
  announce(message: string): void
}

interface Item {
  li: HTMLLIElement
  upload: Upload | null
}

/**
 * The uploads in flight, one row each: the file's name, a progress bar with the percent and the
 * megabytes sent, and Cancel. A finished upload leaves (its job shows in the list below); a failed
 * one stays with the server's reason until dismissed.
 */
export class UploadQueue {
  readonly #list: HTMLElement
  readonly #options: UploadQueueOptions
  readonly #items = new Set<Item>()

  constructor(list: HTMLElement, options: UploadQueueOptions) {
    this.#list = list
    this.#options = options
  }

  add(files: readonly File[]): void {
    for (const file of files) this.#start(file)
  }

  /** Stops every upload and forgets the rows (signed out). */
  clear(): void {
    for (const item of this.#items) item.upload?.cancel()
    this.#items.clear()
    this.#list.replaceChildren()
  }

  #start(file: File): void {
    const doc = this.#list.ownerDocument
    const name = file.name || 'video'
    const li = element(doc, 'li', 'upload')
    li.dataset.state = 'sending'
    const main = element(doc, 'div', 'upload-main')
    const line = element(doc, 'div', 'upload-line')
    const figures = element(doc, 'span', 'upload-figures')
    line.append(element(doc, 'span', 'upload-name', name), figures)
    const bar = element(doc, 'progress', 'upload-bar')
    bar.max = 100
    bar.value = 0
    bar.setAttribute('aria-label', `Uploading ${name}`)
    const error = element(doc, 'p', 'upload-error')
    error.setAttribute('role', 'alert')
    error.hidden = true
    main.append(line, bar, error)
    const action = button(doc, 'Cancel')
    action.setAttribute('aria-label', `Cancel the upload of ${name}`)
    li.append(icon(doc, ICONS.film, 'icon upload-icon'), main, action)
    this.#list.append(li)

    const item: Item = { li, upload: null }
    this.#items.add(item)
    const show = (loaded: number, total: number) => {
      const { percent, sent } = formatProgress(loaded, total || file.size)
      if (percent === 100) {
        // Sent: media now checks that it is a video.
        li.dataset.state = 'checking'
        bar.removeAttribute('value')
        figures.textContent = 'Checking the video…'
        return
      }
      bar.value = percent
      figures.textContent = `${percent}% · ${sent}`
    }
    show(0, file.size)

    const remove = () => {
      this.#items.delete(item)
      li.remove()
    }
    action.addEventListener('click', () => {
      if (li.dataset.state === 'failed') remove()
      else item.upload?.cancel()
    })
    item.upload = this.#options.start(file, show)
    item.upload.done.then(
      (media) => {
        remove()
        this.#options.onUploaded(media)
        this.#options.announce(`${name} is uploaded. Its conversion starts shortly.`)
      },
      (failure: unknown) => {
        if (!this.#items.has(item)) return // cleared meanwhile
        if (failure instanceof UploadCancelled) {
          remove()
          this.#options.announce(`The upload of ${name} was cancelled.`)
          return
        }
        li.dataset.state = 'failed'
        bar.hidden = true
        figures.textContent = ''
        error.hidden = false
        error.textContent = uploadErrorText(failure)
        action.textContent = 'Dismiss'
        action.setAttribute('aria-label', `Dismiss ${name}`)
        li.querySelector('.upload-icon')?.replaceWith(icon(doc, ICONS.alert, 'icon upload-icon'))
      },
    )
  }
}
