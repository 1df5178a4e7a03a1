import { MAY_RECEIVE_FLEET_ALERTS } from '@convoy/contracts'
import type { FeedStatus } from '../fleet/feed.ts'
import { Bell } from '../notifications/Bell.tsx'
import { AccountMenu } from '../session/AccountMenu.tsx'
import { plural } from '../shared/plural.ts'
import type { AppStore } from './store.ts'

const FEED_LABELS: Record<FeedStatus, string> = {
  connecting: 'Connecting',
  live: 'Live',
  reconnecting: 'Reconnecting',
}

/** The header: the brand, the live indicators (vehicle count, connection), the bell and the account. */
export function Topbar({ store }: { store: AppStore }) {
  const user = store.user.value
  const view = store.view.value
  const status = store.feedStatus.value
  const count = store.vehicleCount.value
  return (
    <header class="topbar">
      <a class="brand" href="#/" aria-label="Convoy home">
        <svg class="brand-mark" viewBox="0 0 32 32" aria-hidden="true">
          <rect width="32" height="32" rx="8" fill="#2563eb" />
          <path d="M16 5.5 24 25l-8-4.2L8 25z" fill="#fff" />
        </svg>
        <span class="brand-name">Convoy</span>
        <span class="brand-tag">Live fleet</span>
      </a>
      <div class="topbar-end">
        <div class="topbar-status">
          <div class="stat" title="Vehicles tracked">
            <span class="stat-value" id="vehicle-count">
              {count.toLocaleString('en')}
            </span>
            <span class="stat-label" id="vehicle-count-label">
              {plural(count, 'vehicle')}
            </span>
          </div>
          <div
            class="conn"
            id="connection"
            data-state={status}
            role="status"
            aria-live="polite"
            title={status === 'live' ? 'Receiving live positions' : 'Live feed unavailable, retrying'}
          >
            <span class="conn-dot" aria-hidden="true"></span>
            <span class="conn-label">{FEED_LABELS[status]}</span>
          </div>
        </div>
        {user && store.bell.visible.value && (
          <Bell
            list={store.bell.list.value}
            unread={store.bell.unread.value}
            onOpen={() => store.notifications.markSeen()}
            onShow={(notification) => store.showAlert(notification)}
            fleetAlerts={MAY_RECEIVE_FLEET_ALERTS.includes(user.role)}
          />
        )}
        {user && (
          <AccountMenu
            user={user}
            page={view === 'login' || view === 'loading' ? null : view}
            signOut={() => store.session.signOut()}
            changePassword={() => (store.changingPassword.value = true)}
            editPreferences={() => (store.editingPreferences.value = true)}
          />
        )}
      </div>
    </header>
  )
}
