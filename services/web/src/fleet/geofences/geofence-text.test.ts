import assert from 'node:assert/strict'
import { test } from 'node:test'
import { DEFAULT_PREFERENCES } from '@convoy/contracts'
import { ApiError } from '../../shared/api-error.ts'
import { createDisplay } from '../../shared/display.ts'
import { geofenceProblemText, GONE, nameProblem, shapeText } from './geofence-text.ts'

const metric = createDisplay(DEFAULT_PREFERENCES, 'en-GB')
const imperial = createDisplay({ ...DEFAULT_PREFERENCES, units: 'imperial' }, 'en-GB')

test("a shape in words, in the user's units", () => {
  const circle = { type: 'circle', center: { lat: 53.38, lng: -1.47 }, radiusMetres: 120 } as const
  assert.equal(shapeText(circle, metric), 'Circle, 120 m radius')
  assert.equal(shapeText({ ...circle, radiusMetres: 2500 }, metric), 'Circle, 2.5 km radius')
  assert.equal(shapeText({ ...circle, radiusMetres: 1609.344 }, imperial), 'Circle, 1.0 mi radius')
  const points = [
    { lat: 0, lng: 0 },
    { lat: 0, lng: 1 },
    { lat: 1, lng: 1 },
    { lat: 1, lng: 0 },
  ]
  assert.equal(shapeText({ type: 'polygon', points }, metric), 'Polygon, 4 corners')
})

test('a name is refused in words when empty, too long or holding invisible characters', () => {
  assert.equal(nameProblem('Depot North'), null)
  assert.equal(nameProblem('x'.repeat(100)), null)
  assert.equal(nameProblem(''), 'Give the geofence a name.')
  assert.equal(nameProblem('x'.repeat(101)), "A geofence's name may be at most 100 characters.")
  assert.equal(
    nameProblem('Depot\u200bNorth'),
    "A geofence's name may not hold control or invisible characters.",
  )
  assert.equal(
    nameProblem('Depot\u202eNorth'),
    "A geofence's name may not hold control or invisible characters.",
  )
})

test("the server's refusals in words: a name taken as it says, a shape without its field, a geofence gone", () => {
  assert.equal(
    geofenceProblemText(new ApiError(409, 'a geofence named "Depot" already exists')),
    'A geofence named "Depot" already exists.',
  )
  assert.equal(
    geofenceProblemText(
      new ApiError(400, "body/shape: the edges from points 0 and 2 cross: a polygon's edges may not"),
    ),
    "The shape cannot be saved: the edges from points 0 and 2 cross: a polygon's edges may not.",
  )
  assert.equal(
    geofenceProblemText(new ApiError(404, 'no geofence with id 4a4a4a4a-4a4a-4a4a-8a4a-4a4a4a4a4a4a')),
    GONE,
  )
  assert.equal(
    geofenceProblemText(new ApiError(403, 'this needs the role admin or dispatcher; yours is viewer')),
    'This needs the role admin or dispatcher; yours is viewer.',
  )
  assert.equal(
    geofenceProblemText(new ApiError(0, 'the server cannot be reached')),
    'Convoy cannot be reached right now. Try again in a moment.',
  )
  assert.equal(geofenceProblemText(new Error('boom')), 'Something went wrong. Try again.')
})
