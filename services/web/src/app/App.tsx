import { MAY_AUDIT_UPLOADS } from '@convoy/contracts'
import { signal } from '@preact/signals'
import { useEffect } from 'preact/hooks'
import { LoginPage } from '../session/LoginPage.tsx'
import { PreferencesDialog } from '../session/PreferencesDialog.tsx'
import { DisplayContext } from '../shared/display-context.ts'
import { PasswordDialog, type PasswordField } from '../shared/dialogs.tsx'
import { Toasts } from '../shared/Toasts.tsx'
import { UploadsPage } from '../uploads/UploadsPage.tsx'
import { UsersPage } from '../users/UsersPage.tsx'
import type { AppStore, View } from './store.ts'
import { Topbar } from './Topbar.tsx'

/**
 * The fleet page — the map and Leaflet, the history, the geofences: most of the app's code — in a
 * chunk of its own, asked for as the app starts, so that the login page does not wait for it.
 */
const fleetPage = signal<typeof import('../fleet/FleetPage.tsx').FleetPage | null>(null)
void import('../fleet/FleetPage.tsx').then((module) => (fleetPage.value = module.FleetPage))

const TITLES: Record<View, string> = {
  loading: 'Convoy · Live fleet',
  login: 'Convoy · Sign in',
  fleet: 'Convoy · Live fleet',
  uploads: 'Convoy · Uploads',
  users: 'Convoy · Users',
}

const OWN_PASSWORD_FIELDS: readonly PasswordField[] = [
  {
    id: 'own-current-password',
    name: 'current',
    label: 'Current password',
    autocomplete: 'current-password',
  },
  {
    id: 'own-new-password',
    name: 'password',
    label: 'New password',
    autocomplete: 'new-password',
    hint: 'At least 8 characters (12 for an admin), not a common password nor your username. A few words make a strong one.',
  },
]

/**
 * The app's shell: the login page while there is no session, then the fleet (`#/`), the uploads
 * (`#/uploads`; viewers are told they cannot upload) or, for admins, the user admin (`#/users`),
 * with the header, the toasts and the dialog to change one's own password. The fleet is made at
 * the first sign-in and kept underneath the other pages, so the map keeps its size and place.
 */
export function App({ store }: { store: AppStore }) {
  const view = store.view.value
  const user = store.user.value
  const reason = store.loginReason.value
  const FleetPage = fleetPage.value
  useEffect(() => {
    document.title = TITLES[view]
  }, [view])
  return (
    <DisplayContext.Provider value={store.display.value}>
      <div class="app" data-view={view}>
        <Topbar store={store} />
        {view === 'login' && (
          <LoginPage
            note={reason.note}
            username={reason.username}
            signIn={(username, password) => store.session.signIn(username, password)}
          />
        )}
        {store.everSignedIn.value && FleetPage && <FleetPage store={store} />}
        {user && view === 'users' && (
          <main class="users" id="users" aria-labelledby="users-title">
            <UsersPage
              api={store.api}
              me={user.username}
              ownAccountChanged={async () => {
                await store.session.refresh().catch(() => false)
              }}
            />
          </main>
        )}
        {user && view === 'uploads' && (
          <UploadsPage
            store={store.uploads.value}
            api={store.api}
            canUpload={store.canUpload.value}
            canAudit={MAY_AUDIT_UPLOADS.includes(user.role)}
            me={user.username}
          />
        )}
        {user && store.changingPassword.value && (
          <PasswordDialog
            id="own-password-dialog"
            username={user.username}
            title="Change your password"
            intro={<p>You will be signed out everywhere else: other browsers and devices.</p>}
            fields={OWN_PASSWORD_FIELDS}
            submit="Change password"
            save={({ current, password }) => store.session.changePassword(current!, password!)}
            onDone={(changed) => {
              store.changingPassword.value = false
              if (changed)
                store.toasts.show({
                  title: 'Your password is changed. You were signed out everywhere else.',
                  tone: 'success',
                })
            }}
          />
        )}
        {user && store.editingPreferences.value && (
          <PreferencesDialog
            preferences={store.preferences.value}
            role={user.role}
            save={(next) => store.savePreferences(next)}
            onDone={(saved) => {
              store.editingPreferences.value = false
              if (saved) store.toasts.show({ title: 'Your preferences are saved.', tone: 'success' })
            }}
          />
        )}
        <Toasts list={store.toasts} />
      </div>
    </DisplayContext.Provider>
  )
}
