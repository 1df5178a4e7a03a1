import { batch, computed, effect, signal } from '@preact/signals'
import { DEFAULT_PREFERENCES, MAY_UPLOAD, type Preferences } from '@convoy/contracts'
import { LiveFeed, liveUrl, type FeedStatus } from '../fleet/feed.ts'
import { FleetState } from '../fleet/fleet-state.ts'
import { snapshotLoader } from '../fleet/snapshot.ts'
import { NotificationCenter } from '../notifications/notification-center.ts'
import { Session, type EndReason } from '../session/session.ts'
import { createApi, loadWebConfig } from '../shared/api.ts'
import { createDisplay } from '../shared/display.ts'
import { mayOpen, type Page } from '../shared/roles.ts'
import { ToastList } from '../shared/toast-list.ts'
import type { Me, Notification, Vehicle } from '../shared/types.ts'
import { UploadsStore } from '../uploads/uploads-store.ts'
import { uploadVideo, type XhrLike } from '../uploads/video-upload.ts'

/** How often the list, the header and the "last seen" texts are redrawn (the map moves at every frame). */
const RENDER_MS = 500

/** What the app shows: a page, the login page, or nothing yet while a kept session is renewed. */
export type View = Page | 'login' | 'loading'

const PAGES: Record<string, Page> = { '#/uploads': 'uploads', '#/users': 'users' }

const END_NOTES: Record<EndReason, string> = {
  'signed-out': 'You have signed out.',
  ended: 'Your session has ended. Please sign in again.',
}

/** Why the login page is shown, and the username to fill in (a session that ended by itself). */
export interface LoginReason {
  note?: string
  username?: string
}

/**
 * The app's state, which every page subscribes to: the session and who is signed in, the page the
 * address asks for, the live feed and the fleet it feeds, the notifications, the toasts, and the
 * signed-in user's uploads. The session survives reloads and is shared by the tabs.
 */
export function createAppStore() {
  const session = new Session({
    storage: localStorage,
    // Web Locks exist in secure contexts (https, localhost); elsewhere tabs renew on their own.
    locks: navigator.locks,
  })
  const api = createApi((url, init) => session.fetch(url, init))
  const user = signal<Me | null>(session.user)
  /** Set once a kept session has been renewed (or there was none): until then the view is `loading`. */
  const started = signal(false)
  /** Whether anyone signed in since the page loaded: the map is made then, and kept. */
  const everSignedIn = signal(false)
  const loginReason = signal<LoginReason>({})
  const hash = signal(location.hash)
  const feedStatus = signal<FeedStatus>('connecting')
  /** The render clock: the time of the last redraw of the list, the header and the details. */
  const now = signal(Date.now())
  /** How many vehicles the list shows (redrawn with it). */
  const vehicleCount = signal(0)
  /** The first full snapshot of the fleet with vehicles (the map's first view may come from it). */
  const firstSnapshot = signal<readonly Vehicle[] | null>(null)
  /** A place the fleet page is asked to show (a fleet alert chosen in the bell or a toast). */
  const placeToShow = signal<{ lat: number; lng: number } | null>(null)
  const showAlert = (notification: Notification) => {
    const event = notification.fleetEvent
    if (event) placeToShow.value = { lat: event.lat, lng: event.lng }
  }
  /** The user asked to change their own password (the dialog is open). */
  const changingPassword = signal(false)
  /** The signed-in user's preferences (the defaults until they are loaded, and when signed out). */
  const preferences = signal<Preferences>(DEFAULT_PREFERENCES)
  const display = computed(() => createDisplay(preferences.value))
  /** The deployment's settings (the map tiles), asked for once. */
  const config = loadWebConfig()
  const toasts = new ToastList()
  const fleet = new FleetState()
  /** The signed-in user's uploads (a new store for each user). */
  const uploads = signal(newUploads())
  /** Who was signed in last: their name is filled in when a session ends by itself. */
  let lastUsername: string | undefined

  const page = computed<Page>(() => {
    const wanted = PAGES[hash.value] ?? 'fleet'
    // Users is for admins. Uploads stays, to tell a viewer why they cannot upload.
    return wanted === 'users' && user.value && !mayOpen(wanted, user.value.role) ? 'fleet' : wanted
  })
  const view = computed<View>(() => (!started.value ? 'loading' : user.value === null ? 'login' : page.value))

  const bell = { visible: signal(false), list: signal<readonly Notification[]>([]), unread: signal(0) }
  const notifications = new NotificationCenter({
    api,
    bell: {
      setVisible: (visible) => (bell.visible.value = visible),
      show: (list, unread) => {
        bell.list.value = list
        bell.unread.value = unread
      },
    },
    toasts,
    storage: localStorage,
    onUploadsPage: () => view.value === 'uploads',
    onArrived: (notification) =>
      void uploads.value.loadEmails(notification.fleetEvent !== undefined && preferences.value.emailAlerts),
    onShow: (notification) => showAlert(notification),
  })

  const loadSnapshot = snapshotLoader(fleet, (signal) => api.vehicles(signal), {
    onLoaded: (snapshot) => {
      if (firstSnapshot.value === null && snapshot.length > 0) firstSnapshot.value = snapshot
    },
  })
  const feed = new LiveFeed({
    url: liveUrl(location),
    onVehicles: (changed) => fleet.update(changed),
    onMedia: (media) => uploads.value.apply(media),
    onNotification: (notification) => notifications.receive(notification),
    // A full snapshot after every (re)connect, so nothing missed while disconnected stays on screen;
    // whatever else happened meanwhile is loaded again too.
    onConnected: () => {
      loadSnapshot()
      void notifications.load()
      if (uploads.value.visible) void uploads.value.load()
    },
    onStatus: (status) => (feedStatus.value = status),
    token: () => session.accessToken,
    onUnauthorized: () => session.refresh(),
  })

  // The list and the header are redrawn on the render clock, and at once when vehicles come or go.
  const redraw = () =>
    batch(() => {
      vehicleCount.value = fleet.size
      now.value = Date.now()
    })
  setInterval(redraw, RENDER_MS)
  fleet.subscribe((change) => {
    if (fleet.size !== vehicleCount.value || change.removed.length > 0) redraw()
  })

  function newUploads(): UploadsStore {
    return new UploadsStore({
      api,
      upload: (file, onProgress) =>
        uploadVideo(file, file.name, {
          // XMLHttpRequest's handlers are typed for any event target; the upload uses a few fields.
          createXhr: () => new XMLHttpRequest() as unknown as XhrLike,
          token: async () => {
            if (session.expired) await session.refresh()
            return session.accessToken
          },
          renew: () => session.refresh(),
          onProgress,
        }),
    })
  }

  function enter(signedIn: Me): void {
    lastUsername = signedIn.username
    user.value = signedIn
    everSignedIn.value = true
    uploads.value.close()
    uploads.value = newUploads()
    notifications.start(signedIn)
    keepAllowedAddress()
    feed.start()
    void loadPreferences(signedIn)
  }

  /** The user's preferences; the defaults stay if they cannot be had (the next sign-in asks again). */
  async function loadPreferences(of: Me): Promise<void> {
    try {
      const loaded = await api.preferences()
      if (user.value?.id === of.id) preferences.value = loaded
    } catch (error) {
      console.warn('preferences unavailable', error)
    }
  }

  function leave(reason: EndReason): void {
    feed.stop()
    loadSnapshot.cancel()
    uploads.value.close()
    notifications.stop()
    changingPassword.value = false
    loginReason.value = { note: END_NOTES[reason], username: reason === 'ended' ? lastUsername : '' }
    user.value = null
    preferences.value = DEFAULT_PREFERENCES
  }

  /** An address the user may not open (Users, for a non-admin) becomes the fleet's. */
  function keepAllowedAddress(): void {
    if ((PAGES[hash.value] ?? 'fleet') !== page.value) {
      history.replaceState(null, '', '#/')
      hash.value = ''
    }
  }

  session.subscribe((event) => {
    if (event.type === 'signed-in') enter(event.user)
    else if (event.type === 'user') {
      lastUsername = event.user.username
      user.value = event.user
      notifications.start(event.user)
      keepAllowedAddress()
    } else if (event.type === 'token') feed.authorize(event.accessToken)
    else leave(event.reason)
  })
  window.addEventListener('storage', (event) => session.storageChanged(event.key))
  window.addEventListener('hashchange', () => {
    hash.value = location.hash
    keepAllowedAddress()
  })

  // The theme: the user's choice, or the system's (followed as it changes).
  const systemDark = matchMedia('(prefers-color-scheme: dark)')
  const systemTheme = signal(systemDark.matches ? 'dark' : 'light')
  systemDark.addEventListener('change', () => (systemTheme.value = systemDark.matches ? 'dark' : 'light'))
  const theme = computed(() => {
    const chosen = preferences.value.theme
    return chosen === 'system' ? systemTheme.value : chosen
  })
  effect(() => {
    document.documentElement.dataset.theme = theme.value
  })

  // A session kept from before (a reload, another tab): in at once, renewed first if it expired.
  void (async () => {
    if (session.user !== null && session.expired) await session.refresh().catch(() => false)
    if (session.user) enter(session.user)
    else user.value = null
    started.value = true
  })()

  return {
    session,
    api,
    user,
    view,
    everSignedIn,
    loginReason,
    feedStatus,
    now,
    vehicleCount,
    fleet,
    firstSnapshot,
    bell,
    notifications,
    toasts,
    changingPassword,
    placeToShow,
    showAlert,
    /** The preferences dialog is open. */
    editingPreferences: signal(false),
    preferences,
    /** The theme shown: 'light' or 'dark'. */
    theme,
    display,
    config,
    /** Saves the whole preferences document; they apply once the server kept them. */
    async savePreferences(next: Preferences): Promise<void> {
      preferences.value = await api.savePreferences(next)
    },
    uploads,
    /** Whether the signed-in user may upload videos (and so has notifications). */
    canUpload: computed(() => user.value !== null && MAY_UPLOAD.includes(user.value.role)),
  }
}

export type AppStore = ReturnType<typeof createAppStore>
