import { useEffect, useRef } from 'preact/hooks'
import { Icon, ICONS, TONE_ICONS } from './icons.tsx'
import type { Toast, ToastList } from './toast-list.ts'

/** How long a toast stays, unless the pointer or the keyboard is on it. */
const SHOW_MS = 8_000

/**
 * Short-lived messages in the corner, in a polite live region so that screen readers read them
 * too. Each one goes by itself after a while (not while hovered or focused) or with its ×.
 */
export function Toasts({ list }: { list: ToastList }) {
  return (
    <div class="toasts" id="toasts" aria-live="polite">
      {list.items.value.map((toast) => (
        <ToastItem key={toast.id} toast={toast} dismiss={() => list.dismiss(toast.id)} />
      ))}
    </div>
  )
}

function ToastItem({ toast, dismiss }: { toast: Toast; dismiss: () => void }) {
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined)
  const later = () => {
    clearTimeout(timer.current)
    timer.current = setTimeout(dismiss, SHOW_MS)
  }
  const hold = () => clearTimeout(timer.current)
  useEffect(() => {
    later()
    return hold
  }, [])
  return (
    <div
      class="toast"
      data-tone={toast.tone}
      onPointerEnter={hold}
      onPointerLeave={later}
      onFocusIn={hold}
      onFocusOut={later}
    >
      <Icon path={TONE_ICONS[toast.tone]} class="icon toast-icon" />
      <div class="toast-body">
        <p class="toast-title">{toast.title}</p>
        {toast.link && (
          <a
            class="toast-link"
            href={toast.link.href}
            onClick={() => {
              toast.link?.onClick?.()
              dismiss()
            }}
          >
            {toast.link.text}
          </a>
        )}
      </div>
      <button type="button" class="toast-close" aria-label="Dismiss" onClick={dismiss}>
        <Icon path={ICONS.close} />
      </button>
    </div>
  )
}
