import type { ComponentChildren } from 'preact'
import { useLayoutEffect, useRef, useState } from 'preact/hooks'
import { formText } from './hooks.ts'
import { problemText } from './problem-text.ts'

interface ModalProps {
  id: string
  /** The id of the dialog's title. */
  labelledBy: string
  /** The dialog closed (a button of a `method="dialog"` form, Escape, or `close()`), with its return value. */
  onClose: (returnValue: string) => void
  children: ComponentChildren
}

/**
 * A modal `<dialog>`, open while it is mounted: the parent shows it by rendering it and hears
 * how it closed. The browser keeps the focus inside, and Escape closes it (value `''`).
 */
export function Modal({ id, labelledBy, onClose, children }: ModalProps) {
  const dialog = useRef<HTMLDialogElement>(null)
  useLayoutEffect(() => {
    const element = dialog.current!
    element.returnValue = ''
    element.showModal()
    // The element with `data-autofocus` has the focus (a safe choice, or the first field).
    element.querySelector<HTMLElement>('[data-autofocus]')?.focus()
  }, [])
  return (
    <dialog
      ref={dialog}
      class="dialog"
      id={id}
      aria-labelledby={labelledBy}
      onClose={(event) => onClose(event.currentTarget.returnValue)}
    >
      {children}
    </dialog>
  )
}

interface ConfirmProps {
  id: string
  /** The question, e.g. "Delete ada?". */
  title: ComponentChildren
  confirm: string
  /** The user answered: true for the confirm button, false for Cancel or Escape. */
  onAnswer: (confirmed: boolean) => void
  children: ComponentChildren
}

/** A yes-or-no question. The safe choice has the focus: Enter does not confirm. */
export function ConfirmDialog({ id, title, confirm, onAnswer, children }: ConfirmProps) {
  return (
    <Modal id={id} labelledBy={`${id}-title`} onClose={(value) => onAnswer(value === 'confirm')}>
      <form method="dialog" class="dialog-body">
        <h2 class="dialog-title" id={`${id}-title`}>
          {title}
        </h2>
        {children}
        <div class="dialog-actions">
          <button class="button" value="cancel" data-autofocus>
            Cancel
          </button>
          <button class="button button-danger" value="confirm">
            {confirm}
          </button>
        </div>
      </form>
    </Modal>
  )
}

/** One password field of a `PasswordDialog`. */
export interface PasswordField {
  id: string
  /** The form field's name: the key of the passwords handed to `save`. */
  name: string
  label: string
  autocomplete: 'current-password' | 'new-password'
  hint?: string
}

interface PasswordProps {
  id: string
  /** Whose password it is (for password managers). */
  username: string
  title: ComponentChildren
  intro?: ComponentChildren
  fields: readonly PasswordField[]
  submit: string
  /** Saves the passwords, by field name; a rejection keeps the dialog open with its words. */
  save: (passwords: Record<string, string>) => Promise<void>
  /** The dialog closed: true once saved, false when cancelled. */
  onDone: (saved: boolean) => void
}

/** Asks for passwords (a new one; and the current one, for one's own) and saves them. */
export function PasswordDialog({ id, username, title, intro, fields, submit, save, onDone }: PasswordProps) {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const form = useRef<HTMLFormElement>(null)
  const first = useRef<HTMLInputElement>(null)

  const onSubmit = (event: SubmitEvent) => {
    event.preventDefault()
    if (busy) return
    const data = new FormData(form.current!)
    setBusy(true)
    save(Object.fromEntries(fields.map(({ name }) => [name, formText(data, name)]))).then(
      () => closeSaved(form.current),
      (failure: unknown) => {
        setBusy(false)
        setError(problemText(failure))
        first.current?.focus()
      },
    )
  }

  return (
    <Modal id={id} labelledBy={`${id}-title`} onClose={(value) => onDone(value === 'saved')}>
      <form ref={form} class="dialog-body" onSubmit={onSubmit}>
        {/* For password managers: whose password this is. */}
        <input type="text" name="username" autocomplete="username" hidden value={username} />
        <h2 class="dialog-title" id={`${id}-title`}>
          {title}
        </h2>
        {intro}
        {fields.map((field, index) => (
          <div class="field" key={field.id}>
            <label for={field.id}>{field.label}</label>
            <input
              ref={index === 0 ? first : undefined}
              data-autofocus={index === 0 ? '' : undefined}
              id={field.id}
              name={field.name}
              type="password"
              autocomplete={field.autocomplete}
              minLength={field.autocomplete === 'new-password' ? 8 : undefined}
              maxLength={1024}
              aria-describedby={field.hint ? `${field.id}-hint` : undefined}
              required
            />
            {field.hint && (
              <span class="field-hint" id={`${field.id}-hint`}>
                {field.hint}
              </span>
            )}
          </div>
        ))}
        <p class="form-error" role="alert" hidden={error === null}>
          {error}
        </p>
        <DialogActions submit={submit} busy={busy} />
      </form>
    </Modal>
  )
}

/**
 * A form's Cancel and its submit button, disabled while it works (`busy`). Cancel closes the dialog
 * the form is in (value `''`), unless `onCancel` says otherwise; `small` for a form in a panel.
 */
export function DialogActions(props: {
  submit: string
  busy: boolean
  cancel?: string
  onCancel?: () => void
  small?: boolean
}) {
  const { submit, busy, cancel = 'Cancel', onCancel, small = false } = props
  const button = small ? 'button button-small' : 'button'
  return (
    <div class="dialog-actions">
      <button
        type="button"
        class={button}
        onClick={(event) => (onCancel ? onCancel() : event.currentTarget.closest('dialog')?.close())}
      >
        {cancel}
      </button>
      <button type="submit" class={`${button} button-primary`} disabled={busy}>
        {submit}
      </button>
    </div>
  )
}

/** Closes the dialog `inside` is in, saying it was saved (`Modal`'s `onClose` hears `'saved'`). */
export function closeSaved(inside: Element | null): void {
  const dialog = inside?.closest('dialog')
  if (!dialog) return
  dialog.returnValue = 'saved'
  dialog.close()
}
