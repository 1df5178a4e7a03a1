import { useEffect, useRef } from 'preact/hooks'

/**
 * Whether the component is still mounted: an answer that arrives after it left (the page was
 * closed, the user signed out) is dropped. This is the app's one way of dropping stale answers.
 */
export function useMounted(): () => boolean {
  const mounted = useRef(true)
  useEffect(() => {
    mounted.current = true
    return () => {
      mounted.current = false
    }
  }, [])
  return () => mounted.current
}

/** Calls `tick` every `ms` while mounted (relative times: "4 min ago"). */
export function useInterval(tick: () => void, ms: number): void {
  const latest = useRef(tick)
  latest.current = tick
  useEffect(() => {
    const timer = setInterval(() => latest.current(), ms)
    return () => clearInterval(timer)
  }, [ms])
}

/** A text field of a submitted form ('' when absent). */
export function formText(data: FormData, name: string): string {
  const value = data.get(name)
  return typeof value === 'string' ? value : ''
}

/**
 * A disclosure (a menu, a panel) that closes with Escape — giving the focus back to its toggle —
 * or a pointer down outside `root`.
 */
export function useDismiss(
  open: boolean,
  close: () => void,
  root: { current: HTMLElement | null },
  toggle: { current: HTMLElement | null },
): void {
  useEffect(() => {
    if (!open) return
    const onKey = (event: KeyboardEvent) => {
      if (event.key !== 'Escape') return
      event.preventDefault()
      close()
      toggle.current?.focus()
    }
    const onPointer = (event: PointerEvent) => {
      if (!root.current?.contains(event.target as Node)) close()
    }
    document.addEventListener('keydown', onKey)
    document.addEventListener('pointerdown', onPointer)
    return () => {
      document.removeEventListener('keydown', onKey)
      document.removeEventListener('pointerdown', onPointer)
    }
  }, [open])
}
