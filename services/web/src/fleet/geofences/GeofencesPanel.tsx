import { useEffect, useRef, useState } from 'preact/hooks'
import type { Api } from '../../shared/api.ts'
import { deleted, isGone } from '../../shared/api-error.ts'
import { DialogActions } from '../../shared/dialogs.tsx'
import { useDisplay } from '../../shared/display-context.ts'
import { formText, useMounted } from '../../shared/hooks.ts'
import { Icon, ICONS } from '../../shared/icons.tsx'
import { problemText } from '../../shared/problem-text.ts'
import type { Geofence, GeofenceShape } from '../../shared/types.ts'
import { centreActionLabel, drawingHint, mayFinishPolygon, type DrawingKind } from './drawing-steps.ts'
import type { GeofenceDrawing, GeofenceLayer } from './geofence-layer.ts'
import { geofenceProblemText, GONE, MAX_NAME_LENGTH, nameProblem, shapeText } from './geofence-text.ts'
import { RulesForm } from './RulesForm.tsx'

export interface GeofencesPanelProps {
  api: Pick<Api, 'createGeofence' | 'updateGeofence' | 'deleteGeofence' | 'fleetRules' | 'saveFleetRules'>
  geofences: readonly Geofence[]
  /** The list changed on the server: load it again. */
  reload: () => Promise<void>
  drawing: GeofenceDrawing
  /** The geofences on the map: shown whole, marked while edited, and a shape drawn but not saved. */
  layer: Pick<GeofenceLayer, 'focus' | 'markEditing' | 'preview'>
  /** Whether the user may draw, edit and delete geofences (admins and dispatchers), and set the rules (admins). */
  mayEdit: boolean
  mayEditRules: boolean
}

/**
 * Drawing on the map as a component sees it: what is being drawn (null: nothing) and how many
 * points are placed. `start` gives up any drawing before (whose owner hears it as giving up).
 */
function useDrawing(drawing: GeofenceDrawing) {
  const mounted = useMounted()
  const [kind, setKind] = useState<DrawingKind | null>(null)
  const [placed, setPlaced] = useState(0)
  const start = (next: DrawingKind, drawn: (shape: GeofenceShape) => void) => {
    drawing.start(
      next,
      (shape) => {
        if (!mounted()) return
        setKind(null)
        if (shape) drawn(shape)
      },
      (count) => mounted() && setPlaced(count),
    )
    // After `start`: the drawing it gave up has said so (and may have been this one).
    setKind(next)
    setPlaced(0)
  }
  return { kind, placed, start }
}

/**
 * The geofences — drawn on the map as circles or polygons (by pointer or keyboard), then named;
 * renamed and redrawn; deleted — and the fleet's rules (speeding, long stops, lost signal) that
 * make events with them.
 */
export function GeofencesPanel(props: GeofencesPanelProps) {
  const { api, geofences, reload, drawing, layer, mayEdit } = props
  const display = useDisplay()
  const mounted = useMounted()
  const steps = useDrawing(drawing)
  const [drawn, setDrawn] = useState<GeofenceShape | null>(null)
  /** The id of the geofence being edited. */
  const [editing, setEditing] = useState<string | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  /** The geofence whose Edit button takes the focus back once its form closes. */
  const refocus = useRef<string | null>(null)
  const nameInput = useRef<HTMLInputElement>(null)
  // A shape drawn: its name is next (`autofocus` works only as a page loads).
  useEffect(() => {
    if (drawn) nameInput.current?.focus()
  }, [drawn])
  useEffect(
    () => () => {
      drawing.cancel()
      layer.preview(null)
      layer.markEditing(null)
    },
    [],
  )

  const showDrawn = (shape: GeofenceShape | null) => {
    setDrawn(shape)
    layer.preview(shape)
  }

  const draw = (kind: DrawingKind) => {
    setError(null)
    showDrawn(null)
    steps.start(kind, showDrawn)
  }

  const save = async (event: SubmitEvent) => {
    event.preventDefault()
    if (!drawn || busy) return
    const name = formText(new FormData(event.currentTarget as HTMLFormElement), 'name').trim()
    const problem = nameProblem(name)
    if (problem) return setError(problem)
    setBusy(true)
    try {
      await api.createGeofence({ name, shape: drawn })
      await reload()
      if (!mounted()) return
      showDrawn(null)
      setError(null)
    } catch (failure) {
      if (mounted()) setError(geofenceProblemText(failure))
    } finally {
      if (mounted()) setBusy(false)
    }
  }

  const remove = async (geofence: Geofence) => {
    setError(null)
    try {
      await deleted(api.deleteGeofence(geofence.id))
      await reload()
    } catch (failure) {
      if (mounted()) setError(problemText(failure))
    }
  }

  /** Opens a geofence's form in its place in the list, and shows it on the map, marked. */
  const edit = (geofence: Geofence) => {
    drawing.cancel()
    showDrawn(null)
    setError(null)
    setEditing(geofence.id)
    layer.markEditing(geofence.id)
    layer.focus(geofence.id)
  }

  const stopEditing = () => {
    refocus.current = editing
    setEditing(null)
    layer.markEditing(null)
    layer.preview(null)
  }

  // The geofence being edited left the list (deleted meanwhile): its form goes too.
  const edited = geofences.find((geofence) => geofence.id === editing)
  useEffect(() => {
    if (editing !== null && !edited) stopEditing()
  }, [editing, edited])

  return (
    <div class="geofences">
      {mayEdit && (
        <div class="geofence-tools">
          <button
            type="button"
            class="button button-small"
            aria-pressed={steps.kind === 'circle'}
            disabled={editing !== null}
            onClick={() => draw('circle')}
          >
            Draw a circle
          </button>
          <button
            type="button"
            class="button button-small"
            aria-pressed={steps.kind === 'polygon'}
            disabled={editing !== null}
            onClick={() => draw('polygon')}
          >
            Draw a polygon
          </button>
          {steps.kind && (
            <button type="button" class="button button-small" onClick={() => drawing.cancel()}>
              Cancel
            </button>
          )}
        </div>
      )}
      {steps.kind && <DrawingSteps kind={steps.kind} placed={steps.placed} drawing={drawing} />}
      {drawn && (
        <form class="geofence-name" onSubmit={(event) => void save(event)}>
          <div class="field">
            <label for="geofence-name">
              Name of the new {drawn.type === 'circle' ? 'circle' : 'polygon'}
            </label>
            <input
              ref={nameInput}
              id="geofence-name"
              name="name"
              class="control"
              maxLength={MAX_NAME_LENGTH}
              required
            />
          </div>
          <DialogActions
            small
            cancel="Discard"
            onCancel={() => showDrawn(null)}
            submit="Save geofence"
            busy={busy}
          />
        </form>
      )}
      <p class="form-error notice" role="alert" hidden={error === null}>
        {error}
      </p>
      <ul class="geofence-list" aria-label="Geofences">
        {geofences.map((geofence) => (
          <li
            key={geofence.id}
            class={geofence.id === editing ? 'geofence geofence--editing' : 'geofence'}
            data-name={geofence.name}
          >
            {geofence.id === editing ? (
              <EditForm
                {...props}
                geofence={geofence}
                onClose={stopEditing}
                onGone={() => {
                  stopEditing()
                  setError(GONE)
                  void reload()
                }}
              />
            ) : (
              <>
                <button type="button" class="geofence-button" onClick={() => layer.focus(geofence.id)}>
                  <span class="geofence-name-text">{geofence.name}</span>
                  <span class="geofence-meta">
                    {shapeText(geofence.shape, display)}
                    {` · by ${geofence.createdBy}`}
                  </span>
                </button>
                {mayEdit && (
                  <>
                    <button
                      type="button"
                      class="button button-small"
                      aria-label={`Edit the geofence ${geofence.name}`}
                      title="Rename or redraw"
                      ref={(button) => {
                        if (button && refocus.current === geofence.id) {
                          refocus.current = null
                          button.focus()
                        }
                      }}
                      onClick={() => edit(geofence)}
                    >
                      <Icon path={ICONS.pencil} />
                    </button>
                    <button
                      type="button"
                      class="button button-small button-quiet-danger"
                      aria-label={`Delete the geofence ${geofence.name}`}
                      onClick={() => void remove(geofence)}
                    >
                      <Icon path={ICONS.trash} />
                    </button>
                  </>
                )}
              </>
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

/**
 * While drawing: what to do next, the button that places a point at the crosshair (the map's
 * centre, for those without a pointer) and, for a polygon, the one that finishes it.
 */
function DrawingSteps({
  kind,
  placed,
  drawing,
}: {
  kind: DrawingKind
  placed: number
  drawing: GeofenceDrawing
}) {
  return (
    <>
      <p class="geofence-hint" role="status">
        {drawingHint(kind, placed)}
      </p>
      <div class="geofence-tools">
        <button type="button" class="button button-small" onClick={() => drawing.addCentre()}>
          {centreActionLabel(kind, placed)}
        </button>
        {kind === 'polygon' && (
          <button
            type="button"
            class="button button-small"
            disabled={!mayFinishPolygon(placed)}
            onClick={() => drawing.finishPolygon()}
          >
            Finish the polygon
          </button>
        )}
      </div>
    </>
  )
}

const REDRAW: ReadonlyArray<{ kind: DrawingKind; label: string }> = [
  { kind: 'circle', label: 'Circle' },
  { kind: 'polygon', label: 'Polygon' },
]

/**
 * A geofence's form, in its place in the list: its name, and its shape drawn again (as a circle or
 * a polygon, the way a new one is) while its present shape stays on the map, marked. Saving sends
 * both (`PUT` takes the whole geofence); Cancel or Escape leaves it as it was.
 */
function EditForm(
  props: GeofencesPanelProps & {
    geofence: Geofence
    /** The form is done: saved, or given up. */
    onClose: () => void
    /** The geofence is not on the server any more. */
    onGone: () => void
  },
) {
  const { api, geofence, reload, drawing, layer, onClose, onGone } = props
  const display = useDisplay()
  const mounted = useMounted()
  const steps = useDrawing(drawing)
  /** The shape drawn again, not saved yet (null: the present one stays). */
  const [shape, setShape] = useState<GeofenceShape | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const nameInput = useRef<HTMLInputElement>(null)
  useEffect(() => {
    nameInput.current?.focus()
    return () => drawing.cancel()
  }, [])

  /** Draws the geofence again as `kind`; the same button pressed again stops (as Escape on the map does). */
  const redraw = (kind: DrawingKind) => {
    if (steps.kind === kind) return drawing.cancel()
    setError(null)
    steps.start(kind, (drawn) => {
      setShape(drawn)
      layer.preview(drawn)
      // Back from the map to the form: Enter saves.
      nameInput.current?.focus()
    })
  }

  const save = async (event: SubmitEvent) => {
    event.preventDefault()
    if (busy || steps.kind !== null) return
    const name = formText(new FormData(event.currentTarget as HTMLFormElement), 'name').trim()
    const problem = nameProblem(name)
    if (problem) return setError(problem)
    setBusy(true)
    try {
      await api.updateGeofence(geofence.id, { name, shape: shape ?? geofence.shape })
      await reload()
      if (mounted()) onClose()
    } catch (failure) {
      if (!mounted()) return
      if (isGone(failure)) onGone()
      else setError(geofenceProblemText(failure))
    } finally {
      if (mounted()) setBusy(false)
    }
  }

  return (
    <form
      class="geofence-edit"
      aria-label={`Edit the geofence ${geofence.name}`}
      onSubmit={(event) => void save(event)}
      onKeyDown={(event) => {
        // Escape leaves the form (on the map, it gives up the drawing only).
        if (event.key !== 'Escape') return
        event.preventDefault()
        onClose()
      }}
    >
      <div class="field">
        <label for="geofence-edit-name">Name</label>
        <input
          id="geofence-edit-name"
          name="name"
          class="control"
          maxLength={MAX_NAME_LENGTH}
          required
          defaultValue={geofence.name}
          ref={nameInput}
        />
      </div>
      <p class="geofence-meta">
        {shape
          ? `New shape: ${shapeText(shape, display)}, dashed on the map`
          : `${shapeText(geofence.shape, display)}, in amber on the map`}
      </p>
      <div class="geofence-tools">
        <span class="geofence-tools-label" aria-hidden="true">
          Redraw as
        </span>
        {REDRAW.map(({ kind, label }) => (
          <button
            key={kind}
            type="button"
            class="button button-small"
            aria-label={`Redraw as a ${kind}`}
            aria-pressed={steps.kind === kind}
            title={steps.kind === kind ? 'Stop drawing: keep the present shape' : undefined}
            onClick={() => redraw(kind)}
          >
            {label}
          </button>
        ))}
      </div>
      {steps.kind && <DrawingSteps kind={steps.kind} placed={steps.placed} drawing={drawing} />}
      <p class="form-error notice" role="alert" hidden={error === null}>
        {error}
      </p>
      <DialogActions small onCancel={onClose} submit="Save changes" busy={busy || steps.kind !== null} />
    </form>
  )
}
