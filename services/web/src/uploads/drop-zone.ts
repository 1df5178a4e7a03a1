/**
 * Where videos come in: dropped anywhere on the page (the zone lights up while a file is dragged
 * over it), or picked with "Choose a video" (a real button, so the keyboard reaches it; the file
 * input itself stays hidden).
 */
export class DropZone {
  readonly #zone: HTMLElement
  readonly #input: HTMLInputElement
  /** dragenter/dragleave fire for every child crossed: count them to know when the drag left. */
  #depth = 0
  enabled = true

  constructor(page: HTMLElement, zone: HTMLElement, onFiles: (files: File[]) => void) {
    this.#zone = zone
    this.#input = zone.querySelector('input[type="file"]') as HTMLInputElement
    zone.querySelector('[data-action="choose"]')?.addEventListener('click', () => this.#input.click())
    this.#input.addEventListener('change', () => {
      const files = [...(this.#input.files ?? [])]
      // Cleared, so that choosing the same file again is a change too.
      this.#input.value = ''
      if (files.length > 0 && this.enabled) onFiles(files)
    })

    const carriesFiles = (event: DragEvent) => event.dataTransfer?.types.includes('Files') ?? false
    page.addEventListener('dragenter', (event) => {
      if (!carriesFiles(event)) return
      event.preventDefault()
      this.#depth++
      this.#setOver(this.enabled)
    })
    page.addEventListener('dragover', (event) => {
      if (!carriesFiles(event)) return
      // Taken here, or the browser would open the video in place of the app.
      event.preventDefault()
      if (event.dataTransfer) event.dataTransfer.dropEffect = this.enabled ? 'copy' : 'none'
    })
    page.addEventListener('dragleave', (event) => {
      if (!carriesFiles(event)) return
      this.#depth = Math.max(0, this.#depth - 1)
      if (this.#depth === 0) this.#setOver(false)
    })
    page.addEventListener('drop', (event) => {
      if (!carriesFiles(event)) return
      event.preventDefault()
      this.#depth = 0
      this.#setOver(false)
      const files = [...(event.dataTransfer?.files ?? [])]
      if (files.length > 0 && this.enabled) onFiles(files)
    })
  }

  #setOver(over: boolean): void {
    this.#zone.toggleAttribute('data-over', over)
  }
}
