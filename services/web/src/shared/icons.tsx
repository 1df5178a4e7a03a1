import type { Tone } from './toast-list.ts'

/** Line icons on a 16-unit grid, drawn with `currentColor` (see `.icon` in forms.css). */
export const ICONS = {
  film: 'M2.5 3.5h11v9h-11zM5 3.5v9M11 3.5v9M2.5 6h2.5M2.5 10h2.5M11 6h2.5M11 10h2.5',
  download: 'M8 2.5v8M4.5 7 8 10.5 11.5 7M3 13.5h10',
  trash: 'M3 4.5h10M6.5 4.5V3h3v1.5M4.5 4.5l.7 9h5.6l.7-9',
  pencil: 'M10.5 2.5 13.5 5.5 5.5 13.5H2.5V10.5zM8.5 4.5l3 3',
  check: 'M3.5 8.5 6.5 11.5 12.5 4.5',
  alert: 'M8 2.5 14 13H2zM8 6.5v3M8 11.2v.1',
  close: 'M4 4l8 8M12 4l-8 8',
  mail: 'M2.5 4h11v8h-11zM2.5 4.5 8 9l5.5-4.5',
  lock: 'M4.5 7V5a3.5 3.5 0 0 1 7 0v2M3.5 7h9v6.5h-9zM8 9.5v1.5',
  signOut: 'M6 2.5H3.5v11H6M10 5l3 3-3 3M13 8H6.5',
  sliders: 'M2.5 4.5h11M2.5 11.5h11M5.5 3v3M10.5 10v3',
  pin: 'M8 14s4.5-4.2 4.5-7.5a4.5 4.5 0 0 0-9 0C3.5 9.8 8 14 8 14zM8 8.2a1.7 1.7 0 1 0 0-3.4 1.7 1.7 0 0 0 0 3.4z',
} as const

/** The icon of each tone (toasts and the bell's list). */
export const TONE_ICONS: Record<Tone, string> = { success: ICONS.check, error: ICONS.alert, alert: ICONS.pin }

/** A decorative icon: hidden from screen readers, whose text is beside it. */
export function Icon({ path, class: className = 'icon' }: { path: string; class?: string }) {
  return (
    <svg viewBox="0 0 16 16" aria-hidden="true" class={className}>
      <path d={path} />
    </svg>
  )
}
