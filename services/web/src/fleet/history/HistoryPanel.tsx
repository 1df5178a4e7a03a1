import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks'
import type { Api, Range } from '../../shared/api.ts'
import { formatDuration } from '../../shared/display.ts'
import { useDisplay } from '../../shared/display-context.ts'
import { formText, useMounted } from '../../shared/hooks.ts'
import { Icon, ICONS } from '../../shared/icons.tsx'
import { plural } from '../../shared/plural.ts'
import { problemText } from '../../shared/problem-text.ts'
import { saveFile } from '../../shared/save-file.ts'
import type {
  DailySummary,
  Stop,
  Trip,
  VehicleReplay,
  VehicleStops,
  VehicleTrips,
} from '../../shared/types.ts'
import type { HistoryLayer } from './history-layer.ts'
import { HistoryTable, type Column } from './HistoryTable.tsx'
import { localDate, positionAt, SPEED_BANDS, wallTime, zonedTime, type Preset } from './replay.ts'

const HOUR_MS = 3_600_000
const DAY_MS = 86_400_000
/** How fast a replay plays: real time to an hour a minute. */
const PLAYBACK_SPEEDS = [1, 5, 10, 30, 60] as const

const PRESETS: ReadonlyArray<{ preset: Preset; label: string }> = [
  { preset: 'hour', label: 'Last hour' },
  { preset: 'today', label: 'Today' },
  { preset: 'yesterday', label: 'Yesterday' },
  { preset: 'custom', label: 'Custom' },
]

interface Loaded {
  range: Range
  replay: VehicleReplay
  /** The trips and the stops: null until they come, after the route. */
  tables: { trips: VehicleTrips; stops: VehicleStops } | null
  /** The local day's figures, for Today and Yesterday. */
  summary: DailySummary | null
  /** The positions' times, in ms. */
  times: number[]
}

export interface HistoryPanelProps {
  name: string
  api: Pick<Api, 'replay' | 'trips' | 'stops' | 'summary' | 'export'>
  layer: HistoryLayer
  /** The user's time zone (their preference, or the browser's). */
  timeZone: string
  onClose: () => void
}

/**
 * Where a vehicle was: pick a range (the last hour, today, yesterday, or one's own), see its route
 * coloured by speed with its stops, play it back (1× to 60×, or drag the time), read its trips and
 * stops — and take them away as CSV, the route as GPX. Large ranges come reduced by the server,
 * which says how.
 */
export function HistoryPanel({ name, api, layer, timeZone, onClose }: HistoryPanelProps) {
  const display = useDisplay()
  const mounted = useMounted()
  const [preset, setPreset] = useState<Preset>('hour')
  const [custom, setCustom] = useState(() => {
    const now = Date.now()
    return { from: wallTime(now - 2 * HOUR_MS, timeZone), to: wallTime(now, timeZone) }
  })
  const [loaded, setLoaded] = useState<Loaded | null>(null)
  const [error, setError] = useState<string | null>(null)
  /** A range is being loaded (what is shown is the last one's until it comes). */
  const [loading, setLoading] = useState(true)
  const [time, setTime] = useState(0)
  const [playing, setPlaying] = useState(false)
  const [playbackSpeed, setPlaybackSpeed] = useState<number>(10)
  const [tab, setTab] = useState<'trips' | 'stops'>('trips')
  /** Counts loads, so that the answer to a range no longer asked for is dropped. */
  const loads = useRef(0)

  // A new range: the route first, drawn as soon as it comes, then the trips and stops. Asked
  // together, the three shared the tracker's cores and the route came last (see benchmarks.md).
  useEffect(() => {
    const load = ++loads.current
    const current = () => mounted() && load === loads.current
    setPlaying(false)
    setError(null)
    setLoading(true)
    void (async () => {
      try {
        const { range, summary } = await rangeOf(preset, custom, timeZone, (date) =>
          api.summary(name, date, timeZone),
        )
        const replay = await api.replay(name, range)
        if (!current()) return
        setLoading(false)
        const times = replay.positions.map((position) => Date.parse(position.timestamp))
        setLoaded({ range, replay, tables: null, summary, times })
        setTime(times[0] ?? range.from)
        const [trips, stops] = await Promise.all([api.trips(name, range), api.stops(name, range)])
        if (!current()) return
        setLoaded((shown) => shown && { ...shown, tables: { trips, stops } })
      } catch (failure) {
        if (!current()) return
        setLoading(false)
        setLoaded(null)
        layer.clear()
        setError(failure instanceof RangeError ? failure.message : problemText(failure))
      }
    })()
  }, [name, preset, custom, timeZone])
  useEffect(() => () => layer.clear(), [])
  // The route is drawn once the card shows what goes with it, so that the route is fitted to the
  // part of the map the card leaves free.
  const card = useRef<HTMLElement>(null)
  useLayoutEffect(() => {
    if (!loaded) return
    const map = card.current?.offsetParent
    layer.show(loaded.replay.positions, map && card.current ? map.clientHeight - card.current.offsetTop : 0)
  }, [loaded?.replay])
  useEffect(() => {
    if (loaded?.tables) layer.showStops(loaded.tables.stops.stops)
  }, [loaded?.tables])

  const cursor = useMemo(
    () => (loaded ? positionAt(loaded.replay.positions, loaded.times, time) : null),
    [loaded, time],
  )
  useEffect(() => {
    if (cursor) layer.moveCursor(cursor.lat, cursor.lng)
  }, [cursor])

  // Playing: the replay's time runs `playbackSpeed` times faster than the clock, to the end.
  const end = loaded?.times.at(-1) ?? 0
  useEffect(() => {
    if (!playing) return
    let last = performance.now()
    let frame = requestAnimationFrame(function step(now) {
      const elapsed = now - last
      last = now
      setTime((previous) => {
        const next = Math.min(previous + elapsed * playbackSpeed, end)
        if (next >= end) setPlaying(false)
        return next
      })
      frame = requestAnimationFrame(step)
    })
    return () => cancelAnimationFrame(frame)
  }, [playing, playbackSpeed, end])

  const download = async (what: 'trips' | 'stops' | 'route') => {
    if (!loaded) return
    try {
      const { blob, filename } = await api.export(name, what, loaded.range)
      saveFile(document, blob, filename)
    } catch (failure) {
      if (mounted()) setError(problemText(failure))
    }
  }
  const jumpTo = (timestamp: string, lat: number, lng: number) => {
    setPlaying(false)
    setTime(Date.parse(timestamp))
    layer.focus(lat, lng)
  }

  const tables = loaded?.tables
  const speed = (kmh: number) => `${display.speed(kmh)} ${display.speedUnit}`
  const tripColumns: ReadonlyArray<Column<Trip>> = [
    ['Start', (trip) => (trip.startsBefore ? '… ' : '') + display.clock(trip.start.timestamp)],
    ['End', (trip) => display.clock(trip.end.timestamp) + (trip.endsAfter ? ' …' : '')],
    ['Distance', (trip) => display.distance(trip.distanceMetres)],
    ['Duration', (trip) => formatDuration(trip.durationSeconds)],
    ['Average', (trip) => speed(trip.averageSpeedKmh)],
    ['Top', (trip) => speed(trip.maxSpeedKmh)],
  ]
  const stopColumns: ReadonlyArray<Column<Stop>> = [
    ['Arrival', (stop) => (stop.startsBefore ? '… ' : '') + display.clock(stop.arrival)],
    ['Departure', (stop) => (stop.departure ? display.clock(stop.departure) : 'still there')],
    ['Duration', (stop) => formatDuration(stop.durationSeconds)],
    ['Place', (stop) => `${stop.lat.toFixed(5)}, ${stop.lng.toFixed(5)}`],
  ]
  const start = loaded?.times[0] ?? 0
  const reduction = loaded?.replay.reduction
  return (
    <section class="history" ref={card} aria-labelledby="history-title">
      <header class="history-head">
        <h2 class="history-title" id="history-title">
          History of <span>{name}</span>
        </h2>
        <div class="history-presets" role="group" aria-label="Time range">
          {PRESETS.map((each) => (
            <button
              key={each.preset}
              type="button"
              class="segment"
              aria-pressed={preset === each.preset}
              onClick={() => setPreset(each.preset)}
            >
              {each.label}
            </button>
          ))}
        </div>
        <button type="button" class="details-close" aria-label="Close the history" onClick={onClose}>
          <Icon path={ICONS.close} class="" />
        </button>
      </header>

      {preset === 'custom' && (
        <form
          class="history-custom"
          onSubmit={(event) => {
            event.preventDefault()
            const data = new FormData(event.currentTarget)
            setCustom({ from: formText(data, 'from'), to: formText(data, 'to') })
          }}
        >
          <label>
            From{' '}
            <input type="datetime-local" name="from" class="control" defaultValue={custom.from} required />
          </label>
          <label>
            To <input type="datetime-local" name="to" class="control" defaultValue={custom.to} required />
          </label>
          <button type="submit" class="button button-small">
            Show
          </button>
        </form>
      )}

      <p class={error ? 'form-error history-status' : 'history-status'} role={error ? 'alert' : 'status'}>
        {error ??
          (loading || !loaded
            ? 'Loading…'
            : loaded.replay.positions.length === 0
              ? 'No positions in this range.'
              : reduction && reduction.keptPositions < reduction.originalPositions
                ? `${reduction.keptPositions.toLocaleString('en')} of ${reduction.originalPositions.toLocaleString('en')} positions drawn, within ${Math.ceil(reduction.maxErrorMetres)} m of the recorded route.`
                : `${loaded.replay.positions.length.toLocaleString('en')} positions.`)}
      </p>

      {loaded && loaded.replay.positions.length > 0 && cursor && (
        <>
          <div class="history-player">
            <button
              type="button"
              class="button button-small button-primary history-play"
              onClick={() => {
                if (!playing && time >= end) setTime(start)
                setPlaying(!playing)
              }}
            >
              {playing ? 'Pause' : 'Play'}
            </button>
            <input
              type="range"
              class="history-slider"
              aria-label="Replay time"
              min={start}
              max={end}
              step={1000}
              value={time}
              aria-valuetext={display.dateTime(time)}
              onInput={(event) => {
                setPlaying(false)
                setTime(Number(event.currentTarget.value))
              }}
            />
            <select
              class="control history-speed"
              aria-label="Playback speed"
              value={String(playbackSpeed)}
              onChange={(event) => setPlaybackSpeed(Number(event.currentTarget.value))}
            >
              {PLAYBACK_SPEEDS.map((speed) => (
                <option key={speed} value={speed}>
                  {speed}×
                </option>
              ))}
            </select>
            <output class="history-readout" aria-label="At the cursor">
              <time dateTime={new Date(time).toISOString()}>{display.dateTime(time)}</time>
              {' · '}
              {`${display.speed(cursor.speedKmh)} ${display.speedUnit}`}
            </output>
          </div>
          <p class="history-legend" aria-label="Speed colours">
            {SPEED_BANDS.map((band, index) => (
              <span key={band.colour}>
                <i style={{ background: band.colour }}></i>
                {speedBandLabel(index, (kmh) => display.speed(kmh), display.speedUnit)}
              </span>
            ))}
          </p>
        </>
      )}

      {loaded?.summary && (
        <p class="history-summary" aria-label="The day">
          {display.distance(loaded.summary.distanceMetres)} · driving{' '}
          {formatDuration(loaded.summary.drivingSeconds)}
          {' · '}stopped {formatDuration(loaded.summary.stoppedSeconds)} · top speed{' '}
          {`${display.speed(loaded.summary.maxSpeedKmh)} ${display.speedUnit}`}
        </p>
      )}

      {loaded && !loaded.tables && <p class="history-note">Finding the trips and stops…</p>}
      {tables && (
        <>
          <div class="history-tabs" role="tablist" aria-label="Trips and stops">
            <button type="button" role="tab" aria-selected={tab === 'trips'} onClick={() => setTab('trips')}>
              {tables.trips.trips.length} {plural(tables.trips.trips.length, 'trip')}
            </button>
            <button type="button" role="tab" aria-selected={tab === 'stops'} onClick={() => setTab('stops')}>
              {tables.stops.stops.length} {plural(tables.stops.stops.length, 'stop')}
            </button>
            <span class="history-exports">
              <button type="button" class="button button-small" onClick={() => void download('trips')}>
                <Icon path={ICONS.download} />
                Trips CSV
              </button>
              <button type="button" class="button button-small" onClick={() => void download('stops')}>
                <Icon path={ICONS.download} />
                Stops CSV
              </button>
              <button type="button" class="button button-small" onClick={() => void download('route')}>
                <Icon path={ICONS.download} />
                Route GPX
              </button>
            </span>
          </div>
          <div class="history-table" role="tabpanel">
            {tab === 'trips' ? (
              <HistoryTable
                label="Trips"
                rowClass="trip"
                columns={tripColumns}
                rows={tables.trips.trips}
                keyOf={(trip) => trip.start.timestamp}
                onChoose={(trip) => jumpTo(trip.start.timestamp, trip.start.lat, trip.start.lng)}
                chooseLabel={(trip) => `Go to the trip of ${display.clock(trip.start.timestamp)}`}
              />
            ) : (
              <HistoryTable
                label="Stops"
                rowClass="stop"
                columns={stopColumns}
                rows={tables.stops.stops}
                keyOf={(stop) => stop.arrival}
                onChoose={(stop) => jumpTo(stop.arrival, stop.lat, stop.lng)}
                chooseLabel={(stop) => `Go to the stop of ${display.clock(stop.arrival)}`}
              />
            )}
          </div>
        </>
      )}
    </section>
  )
}

/** "below 6 mph", "6–19 mph", …, "56 mph and over": a band's limits in the user's unit. */
function speedBandLabel(index: number, speed: (kmh: number) => number, unit: string): string {
  const low = index === 0 ? null : SPEED_BANDS[index - 1]!.below
  const high = SPEED_BANDS[index]!.below
  if (low === null) return `below ${speed(high)} ${unit}`
  if (!Number.isFinite(high)) return `${speed(low)} ${unit} and over`
  return `${speed(low)}–${speed(high)} ${unit}`
}

/**
 * The range of a preset: the last hour; today or yesterday in `timeZone` (its first instant and
 * the next day's, as the server counts a local day, with its figures); or the user's own, read in
 * `timeZone`. A range that makes no sense is a RangeError in words.
 */
async function rangeOf(
  preset: Preset,
  custom: { from: string; to: string },
  timeZone: string,
  summary: (date: string) => Promise<DailySummary>,
): Promise<{ range: Range; summary: DailySummary | null }> {
  const now = Date.now()
  if (preset === 'hour') return { range: { from: now - HOUR_MS, to: now }, summary: null }
  if (preset === 'custom') {
    const from = zonedTime(custom.from, timeZone)
    const to = zonedTime(custom.to, timeZone)
    if (!Number.isFinite(from) || !Number.isFinite(to))
      throw new RangeError('Choose when the range starts and ends.')
    if (from >= to) throw new RangeError('The range must end after it starts.')
    if (to - from > 7 * DAY_MS) throw new RangeError('Choose a range of 7 days at most.')
    return { range: { from, to }, summary: null }
  }
  const today = localDate(now, timeZone)
  const date = preset === 'today' ? today : localDate(zonedTime(`${today}T00:00`, timeZone) - 1, timeZone)
  const day = await summary(date)
  return { range: { from: Date.parse(day.from), to: Math.min(Date.parse(day.to), now) }, summary: day }
}
