import { signal } from '@preact/signals'

/** What a piece of news is: done, failed, or something that happened in the fleet. */
export type Tone = 'success' | 'error' | 'alert'

/** More at once are not read: the oldest goes. */
const MAX_TOASTS = 3

export interface Toast {
  title: string
  tone: Tone
  /** A link to where the news can be acted on (and what else following it does). */
  link?: { href: string; text: string; onClick?: () => void }
}

/** The toasts on screen (see Toasts.tsx), newest last, each with an id of its own. */
export class ToastList {
  readonly items = signal<ReadonlyArray<Toast & { id: number }>>([])
  #nextId = 0

  show(toast: Toast): void {
    this.items.value = [...this.items.value, { ...toast, id: this.#nextId++ }].slice(-MAX_TOASTS)
  }

  dismiss(id: number): void {
    this.items.value = this.items.value.filter((toast) => toast.id !== id)
  }

  clear(): void {
    this.items.value = []
  }
}
