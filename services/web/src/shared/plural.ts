/** `plural(1, 'vehicle')` → "vehicle", `plural(38, 'vehicle')` → "vehicles" (English). */
export function plural(count: number, one: string, many = `${one}s`): string {
  return count === 1 ? one : many
}
