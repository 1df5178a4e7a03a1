import { button, element, icon, ICONS } from './dom.ts'

/** How long a toast stays, unless the pointer or the keyboard is on it. */
const SHOW_MS = 8_000
/** More at once are not read: the oldest goes. */
const MAX_TOASTS = 3

export interface Toast {
  title: string
  tone: 'success' | 'error'
  /** A link to where the news can be acted on. */
  link?: { href: string; text: string }
}

/**
 * Short-lived messages in the corner, in a polite live region so that screen readers read them
 * too. Each one goes by itself after a while (not while hovered or focused) or with its ×.
 */
export class Toasts {
  readonly #region: HTMLElement

  constructor(region: HTMLElement) {
    this.#region = region
  }

  show({ title, tone, link }: Toast): void {
    const doc = this.#region.ownerDocument
    const toast = element(doc, 'div', 'toast')
    toast.dataset.tone = tone
    const body = element(doc, 'div', 'toast-body')
    body.append(element(doc, 'p', 'toast-title', title))
    if (link) {
      const anchor = element(doc, 'a', 'toast-link', link.text)
      anchor.href = link.href
      anchor.addEventListener('click', () => dismiss())
      body.append(anchor)
    }
    const close = button(doc, '', 'toast-close')
    close.setAttribute('aria-label', 'Dismiss')
    close.append(icon(doc, ICONS.close))
    toast.append(icon(doc, tone === 'success' ? ICONS.check : ICONS.alert, 'icon toast-icon'), body, close)

    let timer: ReturnType<typeof setTimeout> | undefined
    const dismiss = () => {
      clearTimeout(timer)
      toast.remove()
    }
    const later = () => {
      clearTimeout(timer)
      timer = setTimeout(dismiss, SHOW_MS)
    }
    const hold = () => clearTimeout(timer)
    close.addEventListener('click', dismiss)
    toast.addEventListener('pointerenter', hold)
    toast.addEventListener('pointerleave', later)
    toast.addEventListener('focusin', hold)
    toast.addEventListener('focusout', later)

    this.#region.append(toast)
    while (this.#region.childElementCount > MAX_TOASTS) this.#region.firstElementChild?.remove()
    later()
  }

  clear(): void {
    this.#region.replaceChildren()
  }
}
