import { MAY_RECEIVE_FLEET_ALERTS, type Preferences } from '@convoy/contracts'
import { useRef, useState } from 'preact/hooks'
import { closeSaved, DialogActions, Modal } from '../shared/dialogs.tsx'
import { formText } from '../shared/hooks.ts'
import { problemText } from '../shared/problem-text.ts'
import type { Role } from '../shared/types.ts'

export interface PreferencesDialogProps {
  preferences: Preferences
  role: Role
  /** Saves the whole document; a rejection keeps the dialog open with its words. */
  save: (preferences: Preferences) => Promise<void>
  /** The dialog closed: true once saved. */
  onDone: (saved: boolean) => void
}

/** The browser's own time zone, named in the choice that follows it. */
const BROWSER_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone
const ZONES = Intl.supportedValuesOf('timeZone')

/**
 * The user's preferences, kept by the server so they follow them to any browser: speed units,
 * time zone and clock, the clock time beside relative times, the theme, and fleet alerts by email
 * (for the roles that get them).
 */
export function PreferencesDialog({ preferences, role, save, onDone }: PreferencesDialogProps) {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const form = useRef<HTMLFormElement>(null)
  const alerts = MAY_RECEIVE_FLEET_ALERTS.includes(role)

  const onSubmit = (event: SubmitEvent) => {
    event.preventDefault()
    if (busy) return
    const data = new FormData(form.current!)
    const choice = <T extends string>(name: string, values: readonly T[], fallback: T): T => {
      const value = formText(data, name)
      return (values as readonly string[]).includes(value) ? (value as T) : fallback
    }
    const zone = formText(data, 'timeZone')
    const clock = formText(data, 'clock')
    const next: Preferences = {
      units: choice('units', ['metric', 'imperial'], preferences.units),
      timeZone: zone === '' ? null : zone,
      clock: clock === '24h' || clock === '12h' ? clock : null,
      absoluteTime: data.get('absoluteTime') === 'on',
      theme: choice('theme', ['system', 'light', 'dark'], preferences.theme),
      // Kept as it was for a role that gets no alerts.
      emailAlerts: alerts ? data.get('emailAlerts') === 'on' : preferences.emailAlerts,
    }
    setBusy(true)
    setError(null)
    save(next).then(
      () => closeSaved(form.current),
      (failure: unknown) => {
        setBusy(false)
        setError(problemText(failure))
      },
    )
  }

  return (
    <Modal
      id="preferences-dialog"
      labelledBy="preferences-title"
      onClose={(value) => onDone(value === 'saved')}
    >
      <form ref={form} class="dialog-body preferences" onSubmit={onSubmit}>
        <h2 class="dialog-title" id="preferences-title">
          Preferences
        </h2>
        <p>Kept with your account: they follow you to any browser.</p>
        <fieldset class="choice">
          <legend>Speeds</legend>
          <label>
            <input
              type="radio"
              name="units"
              value="metric"
              defaultChecked={preferences.units === 'metric'}
              data-autofocus
            />
            km/h
          </label>
          <label>
            <input
              type="radio"
              name="units"
              value="imperial"
              defaultChecked={preferences.units === 'imperial'}
            />
            mph
          </label>
        </fieldset>
        <div class="field">
          <label for="preferences-zone">Time zone</label>
          <select
            id="preferences-zone"
            name="timeZone"
            class="control"
            defaultValue={preferences.timeZone ?? ''}
          >
            <option value="">This browser's ({BROWSER_ZONE})</option>
            {ZONES.map((zone) => (
              <option key={zone} value={zone}>
                {zone.replaceAll('_', ' ')}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="preferences-clock">Clock</label>
          <select id="preferences-clock" name="clock" class="control" defaultValue={preferences.clock ?? ''}>
            <option value="">This browser's</option>
            <option value="24h">24-hour (14:30)</option>
            <option value="12h">12-hour (2:30 pm)</option>
          </select>
        </div>
        <label class="check">
          <input type="checkbox" name="absoluteTime" defaultChecked={preferences.absoluteTime} />
          Show the time beside “4 min ago”
        </label>
        <fieldset class="choice">
          <legend>Theme</legend>
          {(['system', 'light', 'dark'] as const).map((theme) => (
            <label key={theme}>
              <input type="radio" name="theme" value={theme} defaultChecked={preferences.theme === theme} />
              {theme === 'system' ? 'As the system' : theme === 'light' ? 'Light' : 'Dark'}
            </label>
          ))}
        </fieldset>
        {alerts && (
          <label class="check">
            <input type="checkbox" name="emailAlerts" defaultChecked={preferences.emailAlerts} />
            Email me fleet alerts (geofences, speeding, long stops, lost signal)
          </label>
        )}
        <p class="form-error" role="alert" hidden={error === null}>
          {error}
        </p>
        <DialogActions submit="Save" busy={busy} />
      </form>
    </Modal>
  )
}
