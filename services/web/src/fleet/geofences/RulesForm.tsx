import { useEffect, useState } from 'preact/hooks'
import type { Api } from '../../shared/api.ts'
import { useDisplay } from '../../shared/display-context.ts'
import { formText, useMounted } from '../../shared/hooks.ts'
import { problemText } from '../../shared/problem-text.ts'
import type { FleetRules } from '../../shared/types.ts'

export interface RulesFormProps {
  api: Pick<Api, 'fleetRules' | 'saveFleetRules'>
  /** Whether the user may set the rules (admins); others read them. */
  mayEditRules: boolean
}

/** The fleet's rules: read by everyone, set by admins. */
export function RulesForm({ api, mayEditRules }: RulesFormProps) {
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
