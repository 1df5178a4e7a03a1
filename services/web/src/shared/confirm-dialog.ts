/**
 * Asks a yes-or-no question in a `<dialog>` whose form has `method="dialog"` and buttons with the
 * values `cancel` and `confirm`; `texts` fill its `[data-field]` elements. Resolves true when the
 * user confirms (Cancel and Escape are a no). The safe choice has the focus: Enter does not confirm.
 */
export function confirmDialog(dialog: HTMLDialogElement, texts: Record<string, string>): Promise<boolean> {
  for (const [name, text] of Object.entries(texts)) {
    const field = dialog.querySelector(`[data-field="${name}"]`)
    if (field) field.textContent = text
  }
  dialog.returnValue = ''
  dialog.showModal()
  dialog.querySelector<HTMLButtonElement>('button[value="cancel"]')?.focus()
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'confirm'), { once: true })
  })
}
