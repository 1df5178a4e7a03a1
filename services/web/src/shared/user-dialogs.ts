import { problemText } from './problem-text.ts'

/** "Delete ada?": resolves true when the user confirms (Cancel and Escape are a no). */
export function confirmDelete(dialog: HTMLDialogElement, username: string, self: boolean): Promise<boolean> {
  field(dialog, 'username').textContent = username
  field(dialog, 'self').hidden = !self
  dialog.returnValue = ''
  dialog.showModal()
  // The safe choice has the focus: Enter does not delete.
  dialog.querySelector<HTMLButtonElement>('button[value="cancel"]')?.focus()
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'delete'), { once: true })
  })
}

/**
 * Asks for a new password for `username` (and whatever other passwords the dialog's form has: the
 * current one, for one's own) and hands them to `save` by field name; the dialog stays open with
 * the server's words when `save` fails. Resolves true once saved, false when cancelled.
 */
export function askPassword(
  dialog: HTMLDialogElement,
  username: string,
  save: (passwords: Record<string, string>) => Promise<void>,
): Promise<boolean> {
  const form = dialog.querySelector('form') as HTMLFormElement
  const inputs = [...form.querySelectorAll<HTMLInputElement>('input[type="password"]')]
  const input = inputs[0]!
  ;(form.elements.namedItem('username') as HTMLInputElement).value = username
  const error = field(dialog, 'error')
  const submit = form.querySelector('button[type="submit"]') as HTMLButtonElement
  const cancel = form.querySelector('[data-action="cancel"]') as HTMLButtonElement
  for (const element of dialog.querySelectorAll('[data-field="username"]')) element.textContent = username
  for (const each of inputs) each.value = ''
  error.hidden = true
  dialog.returnValue = ''
  dialog.showModal()
  input.focus()

  return new Promise((resolve) => {
    const onSubmit = (event: SubmitEvent) => {
      event.preventDefault()
      if (submit.disabled) return
      submit.disabled = true
      void save(Object.fromEntries(inputs.map((each) => [each.name, each.value])))
        .then(
          () => {
            dialog.returnValue = 'saved'
            dialog.close()
          },
          (failure: unknown) => {
            error.textContent = problemText(failure)
            error.hidden = false
            input.focus()
          },
        )
        .finally(() => {
          submit.disabled = false
        })
    }
    const onCancel = () => dialog.close()
    form.addEventListener('submit', onSubmit)
    cancel.addEventListener('click', onCancel)
    dialog.addEventListener(
      'close',
      () => {
        form.removeEventListener('submit', onSubmit)
        cancel.removeEventListener('click', onCancel)
        for (const each of inputs) each.value = ''
        resolve(dialog.returnValue === 'saved')
      },
      { once: true },
    )
  })
}

function field(root: HTMLElement, name: string): HTMLElement {
  return root.querySelector(`[data-field="${name}"]`) as HTMLElement
}
