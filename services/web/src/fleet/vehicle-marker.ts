import L from 'leaflet'
import type { Cluster } from './vehicle-clusters.ts'

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

/** The canvas and where a marker is on it while the renderer draws; null when it is not drawing. */
function drawing(marker: L.CircleMarker) {
  const self = marker as unknown as MarkerInternals
  const renderer = self._renderer
  if (!renderer._drawing || self._empty()) return null
  return { renderer, ctx: renderer._ctx, x: self._point.x, y: self._point.y, r: self._radius }
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
    // Off the map, only the options change: restyling would ask the canvas to redraw where the
    // marker was last drawn.
    if (restyle && !this.isDrawn()) L.Util.setOptions(this, LOOKS[look])
    if (restyle && this.isDrawn()) this.setStyle(LOOKS[look])
    if (restyle) this.setRadius(LOOKS[look].radius ?? 8)
    else this.redraw()
  }

  /** On the map (CircleMarker's `redraw` and `setRadius` do nothing off it). */
  isDrawn(): boolean {
    return (this as unknown as { _map: L.Map | null })._map != null
  }

  /** Replaces CircleMarker's circle with the arrow (called by the canvas renderer when drawing). */
  _updatePath(): void {
    const canvas = drawing(this)
    if (!canvas) return
    const { renderer, ctx, x, y, r } = canvas
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

/**
 * Vehicles clustered together, on the same canvas as the vehicles: a disc, larger for more
 * vehicles, with their count. The layer moves it to another cluster
 * rather than making a new one, so a map of clusters costs no allocations as they are rebuilt.
 */
export class ClusterMarker extends L.CircleMarker {
  cluster: Cluster

  constructor(cluster: Cluster, renderer: L.Renderer) {
    super([cluster.lat, cluster.lng], {
      renderer,
      radius: clusterRadius(cluster.count),
      fillColor: '#1d4ed8',
      fillOpacity: 0.9,
      color: '#ffffff',
      weight: 2,
      bubblingMouseEvents: false,
    })
    this.cluster = cluster
  }

  get count(): number {
    return this.cluster.count
  }

  /** Shows `cluster` instead (redrawn only if it is elsewhere or counts otherwise). */
  show(cluster: Cluster): void {
    const before = this.cluster
    this.cluster = cluster
    if (cluster.count !== before.count) {
      this.setTooltipContent(clusterTitle(cluster.count)).setRadius(clusterRadius(cluster.count))
    }
    if (cluster.lat !== before.lat || cluster.lng !== before.lng) this.setLatLng([cluster.lat, cluster.lng])
  }

  /** The disc, a fainter ring round it, and the count. */
  _updatePath(): void {
    const canvas = drawing(this)
    if (!canvas) return
    const { renderer, ctx, x, y, r } = canvas
    ctx.globalAlpha = 1
    ctx.beginPath()
    ctx.arc(x, y, r + 5, 0, Math.PI * 2)
    ctx.fillStyle = 'rgb(37 99 235 / 0.25)'
    ctx.fill()
    ctx.beginPath()
    ctx.arc(x, y, r, 0, Math.PI * 2)
    renderer._fillStroke(ctx, this)
    ctx.globalAlpha = 1
    ctx.fillStyle = '#ffffff'
    ctx.font = `600 ${r > 20 ? 13 : 12}px Inter, system-ui, sans-serif`
    ctx.textAlign = 'center'
    ctx.textBaseline = 'middle'
    ctx.fillText(this.cluster.label, x, y + 0.5)
  }
}

/** What a cluster's tooltip says. */
export const clusterTitle = (count: number) => `${count.toLocaleString('en')} vehicles: click to zoom in`

/** 16 px for two vehicles, 24 for a hundred, 29 for five thousand. */
const clusterRadius = (count: number) => Math.round(14 + 4 * Math.log10(count))
