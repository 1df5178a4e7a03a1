import Supercluster, { type PointFeature } from 'supercluster'

/**
 * Above this many vehicles drawn the map groups nearby vehicles into clusters: a fleet of a few
 * hundred is drawn vehicle by vehicle as before, thousands would be a blur of arrows that costs a
 * frame to redraw.
 */
export const CLUSTER_ABOVE = 200
/** The closest zoom with clusters; closer in, every vehicle in view is drawn by itself. */
export const CLUSTER_MAX_ZOOM = 16
/** Vehicles closer than this on screen, in pixels, make a cluster. */
const RADIUS_PX = 48

/** A place on the map where the vehicles are clustered, and how many they are. */
export interface Cluster {
  lat: number
  lng: number
  count: number
  /** The count as the map writes it: 7, 999, 1.2k, 12k. */
  label: string
  /** The zoom at which the cluster falls apart into smaller ones or single vehicles. */
  expansionZoom: () => number
}

/** What to draw in a view: the clusters, and the vehicles that stand alone. */
export interface ClusteredView {
  clusters: Cluster[]
  /** Names of the vehicles in the view that are in no cluster. */
  alone: string[]
}

/** `[west, south, east, north]` in degrees. */
export type Box = [number, number, number, number]

interface Located {
  name: string
  lat: number
  lng: number
}

/**
 * The vehicles' clusters at every zoom (supercluster's hierarchical greedy clustering over a
 * k-d tree), built from their positions at one moment: the map builds it again as they move, at
 * a bounded rate, and asks it for the view it shows.
 */
export class VehicleClusters {
  readonly #minZoom: number
  #index: Supercluster<{ name: string }> | null = null

  /** `minZoom`: the widest zoom the map shows (the index builds no levels wider than it). */
  constructor(minZoom = 0) {
    this.#minZoom = minZoom
  }

  /** Clusters these vehicles (and forgets those clustered before). */
  load(vehicles: Iterable<Located>): void {
    const points: Array<PointFeature<{ name: string }>> = []
    for (const { name, lat, lng } of vehicles)
      points.push({
        type: 'Feature',
        properties: { name },
        geometry: { type: 'Point', coordinates: [lng, lat] },
      })
    // Leaflet's tiles are 256 px, so the radius is in the map's pixels.
    this.#index = new Supercluster<{ name: string }>({
      radius: RADIUS_PX,
      extent: 256,
      minZoom: this.#minZoom,
      maxZoom: CLUSTER_MAX_ZOOM,
    }).load(points)
  }

  /** The clusters and lone vehicles inside `box` at `zoom` (a whole one: the map's zoom snaps to them). */
  at(box: Box, zoom: number): ClusteredView {
    const view: ClusteredView = { clusters: [], alone: [] }
    const index = this.#index
    if (index === null) return view
    for (const feature of index.getClusters(box, Math.round(zoom))) {
      const [lng, lat] = feature.geometry.coordinates as [number, number]
      if ('cluster' in feature.properties && feature.properties.cluster) {
        const id = feature.properties.cluster_id
        // The index it came from answers, even after the map has built a newer one.
        view.clusters.push({
          lat,
          lng,
          count: feature.properties.point_count,
          label: String(feature.properties.point_count_abbreviated),
          expansionZoom: () => index.getClusterExpansionZoom(id),
        })
      } else view.alone.push((feature.properties as { name: string }).name)
    }
    return view
  }
}
