import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { VehicleReplay } from '@convoy/contracts'
import { downloadName, replayGpx, xmlText } from './exports.ts'

test('XML text: the five special characters escaped, and what XML 1.0 cannot hold replaced', () => {
  assert.equal(
    xmlText(`<a href="x">Tom & Jerry's</a>`),
    '&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&apos;s&lt;/a&gt;',
  )
  assert.equal(xmlText('Van \uffff \ufffe \ud800 \u{1f69a} é'), 'Van \ufffd \ufffd \ufffd \u{1f69a} é')
  assert.equal(xmlText('tab\tline\nok'), 'tab\tline\nok')
})

test('a GPX track: one point per position, coordinates as plain decimals, even tiny ones', () => {
  const replay: VehicleReplay = {
    name: 'Equator & Co',
    from: '2026-03-01T00:00:00.000Z',
    to: '2026-03-01T01:00:00.000Z',
    positions: [
      { lat: 1e-7, lng: -2.5e-8, speedKmh: 0, timestamp: '2026-03-01T00:00:00.000Z' },
      { lat: 0.001, lng: 0, speedKmh: 40, timestamp: '2026-03-01T00:00:10.000Z' },
    ],
    reduction: {
      algorithm: 'sed-douglas-peucker',
      toleranceMetres: 10,
      maxPositions: 10_000,
      originalPositions: 11,
      keptPositions: 2,
      maxErrorMetres: 0.25,
    },
  }
  assert.equal(
    replayGpx(replay),
    `<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="Convoy" xmlns="http://www.topografix.com/GPX/1/1">
  <trk>
    <name>Equator &amp; Co</name>
    <desc>2026-03-01T00:00:00.000Z to 2026-03-01T01:00:00.000Z: 2 of 11 positions, the others within 0.3 m of where these put the vehicle at their time (sed-douglas-peucker)</desc>
    <trkseg>
      <trkpt lat="0.0000001" lon="-0.000000025"><time>2026-03-01T00:00:00.000Z</time></trkpt>
      <trkpt lat="0.001" lon="0"><time>2026-03-01T00:00:10.000Z</time></trkpt>
    </trkseg>
  </trk>
</gpx>
`,
  )
})

test('a download is named after the vehicle and the range, with what no file system takes as _', () => {
  const [from, to] = ['2026-03-01T08:00:00.000Z', '2026-03-01T09:30:00.000Z']
  assert.equal(
    downloadName('City Truck', 'trips', from, to, 'csv'),
    'City Truck trips 20260301T080000Z-20260301T093000Z.csv',
  )
  assert.equal(
    downloadName('a/b\\c:d*e?f"g<h>i|j', 'stops', from, to, 'csv'),
    'a_b_c_d_e_f_g_h_i_j stops 20260301T080000Z-20260301T093000Z.csv',
  )
  assert.equal(
    downloadName('..', 'route', from, to, 'gpx'),
    'vehicle route 20260301T080000Z-20260301T093000Z.gpx',
  )
  assert.equal(
    downloadName(' Grüße 🚚. ', 'route', from, to, 'gpx'),
    'Grüße 🚚 route 20260301T080000Z-20260301T093000Z.gpx',
  )
})
