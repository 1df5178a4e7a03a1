import L from 'leaflet'

/** Leaflet's canvas internals this marker draws with (stable across Leaflet 1.x). */
interface CanvasInternals {
  _drawing: boolean
  _ctx: CanvasRenderingContext2D
  _fillStroke(ctx: CanvasRenderingContext2D, layer: L.Path): void
}

interface MarkerInternals {
  _renderer: CanvasInternals
  _point: L.Point
  _radius: number
  _empty(): boolean
}

export type MarkerLook = 'moving' | 'stopped' | 'stale' | 'selected'

const LOOKS: Record<MarkerLook, L.CircleMarkerOptions> = {
  moving: { radius: 8, fillColor: '#2563eb', fillOpacity: 1, color: '#ffffff', weight: 1.5 },
  stopped: { radius: 7, fillColor: '#475569', fillOpacity: 1, color: '#ffffff', weight: 1.5 },
  stale: { radius: 7, fillColor: '#94a3b8', fillOpacity: 0.85, color: '#ffffff', weight: 1.5 },
  selected: { radius: 11, fillColor: '#ea580c', fillOpacity: 1, color: '#ffffff', weight: 2 },
}

/**
 * A vehicle on a canvas renderer: an arrow pointing along its heading (a dot when it is stopped).
 * It extends CircleMarker so that Leaflet's canvas hit-testing, tooltips and redraw regions work
 * unchanged; only the drawn shape differs.
 */
export class VehicleMarker extends L.CircleMarker {
  heading = 0
  look: MarkerLook = 'moving'

  setLook(look: MarkerLook, heading: number): void {
    if (look === this.look && heading === this.heading) return
    const restyle = look !== this.look
    this.look = look
    this.heading = heading
    if (restyle) this.setStyle(LOOKS[look]).setRadius(LOOKS[look].radius ?? 8)
    else this.redraw()
  }

  /** Replaces CircleMarker's circle with the arrow (called by the canvas renderer when drawing). */
  _updatePath(): void {
    const self = this as unknown as MarkerInternals
    const renderer = self._renderer
    if (!renderer._drawing || self._empty()) return
    const ctx = renderer._ctx
    const { x, y } = self._point
    const r = self._radius
    ctx.beginPath()
    if (this.look === 'stopped' || this.look === 'stale') {
      ctx.arc(x, y, r * 0.7, 0, Math.PI * 2)
    } else {
      const angle = (this.heading * Math.PI) / 180
      const cos = Math.cos(angle)
      const sin = Math.sin(angle)
      // The arrow in local coordinates (pointing north), rotated clockwise by the heading.
      const shape: Array<[number, number]> = [
        [0, -r * 1.1],
        [r * 0.8, r * 0.85],
        [0, r * 0.4],
        [-r * 0.8, r * 0.85],
      ]
      shape.forEach(([px, py], i) => {
        const sx = x + px * cos - py * sin
        const sy = y + px * sin + py * cos
        if (i === 0) ctx.moveTo(sx, sy)
        else ctx.lineTo(sx, sy)
      })
      ctx.closePath()
    }
    renderer._fillStroke(ctx, this)
  }
}

export function vehicleMarker(
  latLng: L.LatLngExpression,
  look: MarkerLook,
  heading: number,
  renderer: L.Renderer,
) {
  const marker = new VehicleMarker(latLng, { ...LOOKS[look], renderer, bubblingMouseEvents: false })
  marker.look = look
  marker.heading = heading
  return marker
}
