import { useEffect, useState } from 'preact/hooks'
import type { Api } from '../../shared/api.ts'
import { useDisplay } from '../../shared/display-context.ts'
import { formText, useMounted } from '../../shared/hooks.ts'
import { Icon, ICONS } from '../../shared/icons.tsx'
import { problemText } from '../../shared/problem-text.ts'
import type { FleetRules, Geofence, GeofenceShape } from '../../shared/types.ts'
import type { GeofenceDrawing } from './geofence-layer.ts'

export interface GeofencesPanelProps {
  api: Pick<Api, 'createGeofence' | 'deleteGeofence' | 'fleetRules' | 'saveFleetRules'>
  geofences: readonly Geofence[]
  /** The list changed on the server: load it again. */
  reload: () => Promise<void>
  drawing: GeofenceDrawing
  /** Whether the user may draw and delete geofences (admins and dispatchers), and set the rules (admins). */
  mayEdit: boolean
  mayEditRules: boolean
  onShow: (id: string) => void
}

const HINTS = {
  circle: 'Click the centre on the map, then a point of its edge. Escape gives up.',
  polygon: 'Click each corner on the map; click the first again or press Enter to finish. Escape gives up.',
}

/**
 * The geofences — drawn on the map as circles or polygons, then named — and the fleet's rules
 * (speeding, long stops, lost signal) that make events with them.
 */
export function GeofencesPanel(props: GeofencesPanelProps) {
  const { api, geofences, reload, drawing, mayEdit, onShow } = props
  const display = useDisplay()
  const mounted = useMounted()
  const [drawingKind, setDrawingKind] = useState<'circle' | 'polygon' | null>(null)
  const [drawn, setDrawn] = useState<GeofenceShape | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  useEffect(() => () => drawing.cancel(), [])

  const draw = (kind: 'circle' | 'polygon') => {
    setError(null)
    setDrawn(null)
    setDrawingKind(kind)
    drawing.start(kind, (shape) => {
      if (!mounted()) return
      setDrawingKind(null)
      setDrawn(shape)
    })
  }

  const save = async (event: SubmitEvent) => {
    event.preventDefault()
    if (!drawn || busy) return
    const name = formText(new FormData(event.currentTarget as HTMLFormElement), 'name').trim()
    setBusy(true)
    try {
      await api.createGeofence({ name, shape: drawn })
      await reload()
      if (!mounted()) return
      setDrawn(null)
      setError(null)
    } catch (failure) {
      if (mounted()) setError(problemText(failure))
    } finally {
      if (mounted()) setBusy(false)
    }
  }

  const remove = async (geofence: Geofence) => {
    try {
      await api.deleteGeofence(geofence.id)
      await reload()
    } catch (failure) {
      if (mounted()) setError(problemText(failure))
    }
  }

  return (
    <div class="geofences">
      {mayEdit && (
        <div class="geofence-tools">
          <button
            type="button"
            class="button button-small"
            aria-pressed={drawingKind === 'circle'}
            onClick={() => draw('circle')}
          >
            Draw a circle
          </button>
          <button
            type="button"
            class="button button-small"
            aria-pressed={drawingKind === 'polygon'}
            onClick={() => draw('polygon')}
          >
            Draw a polygon
          </button>
          {drawingKind && (
            <button type="button" class="button button-small" onClick={() => drawing.cancel()}>
              Cancel
            </button>
          )}
        </div>
      )}
      {drawingKind && (
        <p class="geofence-hint" role="status">
          {HINTS[drawingKind]}
        </p>
      )}
      {drawn && (
        <form class="geofence-name" onSubmit={(event) => void save(event)}>
          <div class="field">
            <label for="geofence-name">
              Name of the new {drawn.type === 'circle' ? 'circle' : 'polygon'}
            </label>
            <input id="geofence-name" name="name" class="control" maxLength={100} required autoFocus />
          </div>
          <div class="dialog-actions">
            <button type="button" class="button button-small" onClick={() => setDrawn(null)}>
              Discard
            </button>
            <button type="submit" class="button button-small button-primary" disabled={busy}>
              Save geofence
            </button>
          </div>
        </form>
      )}
      <p class="form-error notice" role="alert" hidden={error === null}>
        {error}
      </p>
      <ul class="geofence-list" aria-label="Geofences">
        {geofences.map((geofence) => (
          <li key={geofence.id} class="geofence" data-name={geofence.name}>
            <button type="button" class="geofence-button" onClick={() => onShow(geofence.id)}>
              <span class="geofence-name-text">{geofence.name}</span>
              <span class="geofence-meta">
                {geofence.shape.type === 'circle'
                  ? `Circle, ${display.distance(geofence.shape.radiusMetres)} radius`
                  : `Polygon, ${geofence.shape.points.length} corners`}
                {` · by ${geofence.createdBy}`}
              </span>
            </button>
            {mayEdit && (
              <button
                type="button"
                class="button button-small button-quiet-danger"
                aria-label={`Delete the geofence ${geofence.name}`}
                onClick={() => void remove(geofence)}
              >
                <Icon path={ICONS.trash} />
              </button>
            )}
          </li>
        ))}
      </ul>
      <p class="list-empty" hidden={geofences.length > 0}>
        No geofence yet.{mayEdit ? ' Draw one to hear when vehicles enter or leave it.' : ''}
      </p>
      <RulesForm {...props} />
    </div>
  )
}

/** The fleet's rules: read by everyone, set by admins. */
function RulesForm({ api, mayEditRules }: GeofencesPanelProps) {
  const display = useDisplay()
  const mounted = useMounted()
  const [rules, setRules] = useState<FleetRules | null>(null)
  const [message, setMessage] = useState<{ tone: 'status' | 'error'; text: string } | null>(null)
  useEffect(() => {
    api.fleetRules().then(
      (loaded) => mounted() && setRules(loaded),
      (failure: unknown) => mounted() && setMessage({ tone: 'error', text: problemText(failure) }),
    )
  }, [])
  if (rules === null) return null

  const onSubmit = async (event: SubmitEvent) => {
    event.preventDefault()
    const data = new FormData(event.currentTarget as HTMLFormElement)
    const number = (name: string) => Number(formText(data, name))
    const on = (name: string) => data.get(name) === 'on'
    const next: FleetRules = {
      overspeed: on('overspeed')
        ? { limitKmh: toKmh(number('limit'), display.speedUnit), forSeconds: number('forSeconds') }
        : null,
      stopped: on('stopped') ? { forMinutes: number('stoppedMinutes') } : null,
      noSignal: on('noSignal') ? { forMinutes: number('noSignalMinutes') } : null,
    }
    try {
      const saved = await api.saveFleetRules(next)
      if (!mounted()) return
      setRules(saved)
      setMessage({ tone: 'status', text: 'The rules are saved.' })
    } catch (failure) {
      if (mounted()) setMessage({ tone: 'error', text: problemText(failure) })
    }
  }

  const disabled = !mayEditRules
  return (
    <form class="rules" aria-labelledby="rules-title" onSubmit={(event) => void onSubmit(event)}>
      <h3 class="rules-title" id="rules-title">
        Rules for every vehicle
      </h3>
      <label class="check">
        <input
          type="checkbox"
          name="overspeed"
          defaultChecked={rules.overspeed !== null}
          disabled={disabled}
        />
        Speeding above
        <RuleNumber
          name="limit"
          label={`Speed limit in ${display.speedUnit}`}
          value={display.speed(rules.overspeed?.limitKmh ?? 90)}
          max={500}
          disabled={disabled}
        />
        {display.speedUnit} for
        <RuleNumber
          name="forSeconds"
          label="Seconds above the limit"
          value={rules.overspeed?.forSeconds ?? 30}
          min={0}
          max={3600}
          disabled={disabled}
        />
        s
      </label>
      <label class="check">
        <input type="checkbox" name="stopped" defaultChecked={rules.stopped !== null} disabled={disabled} />
        Standing still for
        <RuleNumber
          name="stoppedMinutes"
          label="Minutes standing still"
          value={rules.stopped?.forMinutes ?? 10}
          disabled={disabled}
        />
        min
      </label>
      <label class="check">
        <input type="checkbox" name="noSignal" defaultChecked={rules.noSignal !== null} disabled={disabled} />
        No signal for
        <RuleNumber
          name="noSignalMinutes"
          label="Minutes without a signal"
          value={rules.noSignal?.forMinutes ?? 5}
          disabled={disabled}
        />
        min
      </label>
      {mayEditRules ? (
        <button type="submit" class="button button-small">
          Save the rules
        </button>
      ) : (
        <p class="rules-note">Admins set these rules.</p>
      )}
      <p
        class={message?.tone === 'error' ? 'form-error notice' : 'notice'}
        role={message?.tone === 'error' ? 'alert' : 'status'}
        hidden={message === null}
      >
        {message?.text}
      </p>
    </form>
  )
}

/** A number of a rule, in the sentence that says it; minutes (1 to a day) unless told otherwise. */
function RuleNumber(props: {
  name: string
  label: string
  value: number
  min?: number
  max?: number
  disabled: boolean
}) {
  const { name, label, value, min = 1, max = 1440, disabled } = props
  return (
    <input
      type="number"
      name={name}
      class="control rules-number"
      aria-label={label}
      min={min}
      max={max}
      defaultValue={String(value)}
      disabled={disabled}
    />
  )
}

/** A speed typed in the user's unit, in km/h (the rules' unit). */
function toKmh(speed: number, unit: 'km/h' | 'mph'): number {
  return unit === 'mph' ? Math.round(speed * 1.609344) : speed
}
