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
 * Asks for a new password for `username` and hands it to `save`; the dialog stays open with the
 * server's words when `save` fails. Resolves true once saved, false when cancelled.
 */
export function askPassword(
  dialog: HTMLDialogElement,
  username: string,
  save: (password: string) => Promise<void>,
): Promise<boolean> {
  const form = dialog.querySelector('form') as HTMLFormElement
  const input = form.elements.namedItem('password') as HTMLInputElement
  ;(form.elements.namedItem('username') as HTMLInputElement).value = username
  const error = field(dialog, 'error')
  const submit = form.querySelector('button[type="submit"]') as HTMLButtonElement
  const cancel = form.querySelector('[data-action="cancel"]') as HTMLButtonElement
  field(dialog, 'username').textContent = username
  input.value = ''
  error.hidden = true
  dialog.returnValue = ''
  dialog.showModal()
  input.focus()

  return new Promise((resolve) => {
    const onSubmit = (event: SubmitEvent) => {
      event.preventDefault()
      if (submit.disabled) return
      submit.disabled = true
      void save(input.value)
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
        input.value = ''
        resolve(dialog.returnValue === 'saved')
      },
      { once: true },
    )
  })
}

function field(root: HTMLElement, name: string): HTMLElement {
  return root.querySelector(`[data-field="${name}"]`) as HTMLElement
}
