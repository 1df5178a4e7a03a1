import { useRef, useState } from 'preact/hooks'
import { useDismiss } from '../shared/hooks.ts'
import { Icon, TONE_ICONS } from '../shared/icons.tsx'
import { useDisplay } from '../shared/display-context.ts'
import type { Notification } from '../shared/types.ts'
import { badgeText, toneOf } from './notification-list.ts'

export interface BellProps {
  list: readonly Notification[]
  unread: number
  /** The panel was opened: everything in it is seen. */
  onOpen: () => void
  /** A fleet alert was chosen: show it on the map. */
  onShow: (notification: Notification) => void
  /** Whether the user's role gets fleet alerts (said when there is nothing yet). */
  fleetAlerts: boolean
}

/**
 * The header's bell: the number of unread notifications on it, and a panel listing them (newest
 * first, the unread ones marked) that opens on click and closes with Escape or a click outside.
 */
export function Bell({ list, unread, onOpen, onShow, fleetAlerts }: BellProps) {
  const [open, setOpen] = useState(false)
  /** The notifications that were unread when the panel opened: marked while it stays open. */
  const [marked, setMarked] = useState<ReadonlySet<string>>(new Set())
  const root = useRef<HTMLDivElement>(null)
  const toggle = useRef<HTMLButtonElement>(null)
  useDismiss(open, () => setOpen(false), root, toggle)
  const badge = badgeText(unread)
  const display = useDisplay()
  const now = Date.now()
  return (
    <div class="bell" id="bell" ref={root}>
      <button
        ref={toggle}
        type="button"
        class="bell-toggle"
        aria-expanded={open}
        aria-controls="bell-panel"
        aria-label={unread > 0 ? `Notifications, ${unread} unread` : 'Notifications'}
        onClick={() => {
          setMarked(new Set(open ? [] : list.slice(0, unread).map((item) => item.id)))
          setOpen(!open)
          if (!open) onOpen()
        }}
      >
        <svg viewBox="0 0 20 20" aria-hidden="true">
          <path d="M10 2.75a4.75 4.75 0 0 0-4.75 4.75v2.9L3.75 13.5h12.5l-1.5-3.1V7.5A4.75 4.75 0 0 0 10 2.75z" />
          <path d="M8 16a2 2 0 0 0 4 0" />
        </svg>
        <span class="bell-count" aria-hidden="true" hidden={badge === ''}>
          {badge}
        </span>
      </button>
      <section
        class="bell-panel"
        id="bell-panel"
        aria-labelledby="bell-title"
        hidden={!open}
        onClick={(event) => {
          if ((event.target as Element).closest('a')) setOpen(false)
        }}
      >
        <div class="bell-head">
          <h2 class="bell-title" id="bell-title">
            Notifications
          </h2>
          <a class="bell-more" href="#/uploads">
            Your uploads
          </a>
        </div>
        {open && (
          <ul class="bell-list" aria-labelledby="bell-title">
            {list.map((notification) => (
              <li
                key={notification.id}
                class="bell-item"
                data-tone={toneOf(notification)}
                data-unread={marked.has(notification.id) ? '' : undefined}
              >
                <Icon path={TONE_ICONS[toneOf(notification)]} class="icon bell-item-icon" />
                <div class="bell-item-text">
                  <a
                    class="bell-item-title"
                    href={notification.fleetEvent ? '#/' : '#/uploads'}
                    onClick={() => notification.fleetEvent && onShow(notification)}
                  >
                    {notification.title}
                  </a>
                  <time
                    class="bell-item-time"
                    dateTime={notification.createdAt}
                    title={display.dateTime(notification.createdAt)}
                  >
                    {display.when(notification.createdAt, now)}
                  </time>
                </div>
              </li>
            ))}
          </ul>
        )}
        <p class="bell-empty" hidden={list.length > 0}>
          {fleetAlerts
            ? 'Nothing yet. You will hear here of fleet alerts, and when a video has been converted.'
            : 'Nothing yet. You will hear here when a video has been converted.'}
        </p>
      </section>
    </div>
  )
}
