import { h, render } from 'preact'
import { AccountMenu } from './session/account-menu.ts'
import { mayOpen, type Page } from './shared/roles.ts'
import { createApi } from './shared/api.ts'
import { createFleetPage, type FleetPage } from './fleet/fleet-page.ts'
import { HeaderBar } from './fleet/header-bar.ts'
import { LoginPage } from './session/login-page.ts'
import { NotificationBell } from './notifications/notification-bell.ts'
import { NotificationCenter } from './notifications/notification-center.ts'
import { Session, type EndReason } from './session/session.ts'
import { Toasts } from './shared/toasts.ts'
import type { Me } from './shared/types.ts'
import { UploadsPage } from './uploads/UploadsPage.tsx'
import { UploadsStore } from './uploads/uploads-store.ts'
import { MAY_UPLOAD } from '@convoy/contracts'
import { askPassword } from './shared/user-dialogs.ts'
import { UsersPage } from './users/UsersPage.tsx'
import { uploadVideo, type XhrLike } from './uploads/video-upload.ts'

type View = Page | 'login'

const TITLES: Record<View, string> = {
  login: 'Convoy · Sign in',
  fleet: 'Convoy · Live fleet',
  uploads: 'Convoy · Uploads',
  users: 'Convoy · Users',
}

const PAGES: Record<string, Page> = { '#/uploads': 'uploads', '#/users': 'users' }

const END_NOTES: Record<EndReason, string> = {
  'signed-out': 'You have signed out.',
  ended: 'Your session has ended. Please sign in again.',
}

/**
 * The app's shell: the login page while there is no session, then the fleet (`#/`), the uploads
 * (`#/uploads`; viewers are told they cannot upload) or, for admins, the user admin (`#/users`),
 * with the notifications' bell and toasts. The session survives reloads and is shared by the tabs.
 */
export function startApp(doc: Document): void {
  const app = doc.querySelector('.app') as HTMLElement
  const byId = <T extends HTMLElement = HTMLElement>(id: string) => doc.getElementById(id) as T
  const session = new Session({
    storage: localStorage,
    // Web Locks exist in secure contexts (https, localhost); elsewhere tabs renew on their own.
    locks: navigator.locks,
  })
  const api = createApi((url, init) => session.fetch(url, init))
  const header = new HeaderBar(doc)
  const toasts = new Toasts(byId('toasts'))
  const account = new AccountMenu(
    byId('account'),
    () => session.signOut(),
    () => void changeOwnPassword(),
  )
  const login = new LoginPage(byId('login'), (username, password) => session.signIn(username, password))
  const usersRoot = byId('users')
  /** Counts the openings of the user admin: each one mounts it afresh, which loads the list. */
  let usersOpened = 0
  const showUsers = (open: boolean) => {
    const me = session.user?.username
    if (open && me !== undefined) usersOpened++
    render(
      open && me !== undefined
        ? h(UsersPage, {
            key: usersOpened,
            api,
            me,
            ownAccountChanged: async () => {
              await session.refresh().catch(() => false)
            },
          })
        : null,
      usersRoot,
    )
  }
  const uploadsSlot = byId('uploads-slot')
  const newUploads = () =>
    new UploadsStore({
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
  /** The signed-in user's uploads (a new store for each user). */
  let uploads = newUploads()
  /** Counts the openings of the uploads page: each one mounts it afresh, which loads the lists. */
  let uploadsOpened = 0
  const showUploads = (open: boolean) => {
    const role = session.user?.role
    if (open && role !== undefined) uploadsOpened++
    render(
      open && role !== undefined
        ? h(UploadsPage, { key: uploadsOpened, store: uploads, api, canUpload: MAY_UPLOAD.includes(role) })
        : null,
      uploadsSlot,
    )
  }
  const notifications = new NotificationCenter({
    api,
    bell: new NotificationBell(byId('bell'), () => notifications.markSeen()),
    toasts,
    storage: localStorage,
    onUploadsPage: () => app.dataset.view === 'uploads',
    onArrived: () => void uploads.loadEmails(),
  })
  let fleet: FleetPage | null = null
  /** Who was signed in last: their name is filled in when a session ends by itself. */
  let lastUsername: string | undefined

  session.subscribe((event) => {
    if (event.type === 'signed-in') enter(event.user)
    else if (event.type === 'user') {
      lastUsername = event.user.username
      account.show(event.user)
      notifications.start(event.user)
      showAddressedPage()
      if (app.dataset.view === 'uploads') showUploads(true)
    } else if (event.type === 'token') fleet?.authorize(event.accessToken)
    else leave(event.reason)
  })
  window.addEventListener('storage', (event) => session.storageChanged(event.key))
  window.addEventListener('hashchange', () => showAddressedPage())

  function enter(user: Me): void {
    lastUsername = user.username
    login.hide()
    account.show(user)
    uploads.close()
    uploads = newUploads()
    notifications.start(user)
    showAddressedPage(true)
    // Made once the map's area is laid out (a map made in a hidden box has no size).
    fleet ??= createFleetPage(doc, {
      api,
      header,
      token: () => session.accessToken,
      renew: () => session.refresh(),
      onMedia: (media) => uploads.apply(media),
      onNotification: (notification) => notifications.receive(notification),
      // Whatever happened while the feed was down (or before it connected) is loaded again.
      onConnected: () => {
        void notifications.load()
        if (app.dataset.view === 'uploads') void uploads.load()
      },
    })
    fleet.start()
  }

  function leave(reason: EndReason): void {
    const username = reason === 'ended' ? lastUsername : ''
    fleet?.stop()
    account.show(null)
    uploads.close()
    notifications.stop()
    show('login')
    login.show({ note: END_NOTES[reason], username })
  }

  /** Shows the page the address asks for; `reload` loads the user list even if it was shown. */
  function showAddressedPage(reload = false): void {
    const user = session.user
    if (user === null) return
    const wanted: Page = PAGES[location.hash] ?? 'fleet'
    // Users is for admins. Uploads stays, to tell a viewer why they cannot upload.
    const view = wanted === 'users' && !mayOpen('users', user.role) ? 'fleet' : wanted
    if (view !== wanted) history.replaceState(null, '', '#/')
    const before = app.dataset.view
    show(view)
    if (view === 'users' && (reload || before !== 'users')) showUsers(true)
    if (view === 'uploads' && (reload || before !== 'uploads')) showUploads(true)
  }

  function show(view: View): void {
    app.dataset.view = view
    doc.title = TITLES[view]
    usersRoot.hidden = view !== 'users'
    if (view !== 'login') account.setPage(view)
    if (view !== 'users') showUsers(false)
    if (view !== 'uploads') showUploads(false)
  }

  /** The user sets their own password; their other sessions end, this one goes on. */
  async function changeOwnPassword(): Promise<void> {
    const user = session.user
    if (user === null) return
    const changed = await askPassword(
      byId<HTMLDialogElement>('own-password-dialog'),
      user.username,
      (passwords) => session.changePassword(passwords.current!, passwords.password!),
    )
    if (changed)
      toasts.show({
        title: 'Your password is changed. You were signed out everywhere else.',
        tone: 'success',
      })
  }

  // A session kept from before (a reload, another tab): in at once, renewed first if it expired.
  const start = async () => {
    if (session.user === null) {
      show('login')
      login.show()
      return
    }
    if (session.expired) await session.refresh().catch(() => false)
    if (session.user) enter(session.user)
  }
  void start()
}
