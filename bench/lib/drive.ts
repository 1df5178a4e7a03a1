/** A vehicle's driving stored straight into the tracker's database, for the replay benchmarks. */
import pg from 'pg'
import { loadTracks } from '@convoy/tracks'
import { createFleet, positionAt } from '../../services/position-simulator/src/simulated-fleet.ts'

/** Rows per INSERT: the day in nine statements, the week in sixty-one. */
const INSERT_ROWS = 10_000

/** Stores one position a second of the simulated vehicle over [from, to), and its latest state. */
export async function storeDrive(
  databaseUrl: string,
  name: string,
  from: number,
  to: number,
): Promise<number> {
  const tracks = await loadTracks()
  const vehicle = createFleet(tracks, tracks.length, 0).find((v) => v.name === name)
  if (!vehicle) throw new Error(`no recorded vehicle named ${name}: ${tracks.map((t) => t.name).join(', ')}`)
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  let stored = 0
  try {
    for (let start = from; start < to; start += INSERT_ROWS * 1000) {
      const times: number[] = []
      const lats: number[] = []
      const lngs: number[] = []
      for (let time = start; time < Math.min(to, start + INSERT_ROWS * 1000); time += 1000) {
        const point = positionAt(vehicle, time / 1000)
        times.push(time)
        lats.push(point.lat)
        lngs.push(point.lng)
      }
      await client.query(
        `INSERT INTO positions (vehicle_name, time, lat, lng)
           SELECT $1, to_timestamp(t / 1000.0), lat, lng FROM unnest($2::float8[], $3::float8[], $4::float8[]) AS r(t, lat, lng)`,
        [name, times, lats, lngs],
      )
      stored += times.length
    }
    const last = positionAt(vehicle, (to - 1000) / 1000)
    await client.query(
      `INSERT INTO vehicles (name, lat, lng, speed_kmh, heading, time) VALUES ($1, $2, $3, 0, 0, to_timestamp($4 / 1000.0))`,
      [name, last.lat, last.lng, to - 1000],
    )
  } finally {
    await client.end()
  }
  return stored
}
