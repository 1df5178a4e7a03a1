import assert from 'node:assert/strict'
import { test } from 'node:test'
import { bearingDegrees, distanceMetres } from './index.ts'

test('one degree of latitude is about 111.2 km; Sheffield to London, 227 km as the crow flies', () => {
  assert.equal(Math.round(distanceMetres({ lat: 53, lng: -1.5 }, { lat: 54, lng: -1.5 })), 111_195)
  const km = distanceMetres({ lat: 53.38, lng: -1.47 }, { lat: 51.507, lng: -0.128 }) / 1000
  assert.equal(Math.round(km), 227)
})

test('a point is 0 m from itself, and the far side of the Earth is half its circumference away', () => {
  assert.equal(distanceMetres({ lat: 53.38, lng: -1.47 }, { lat: 53.38, lng: -1.47 }), 0)
  assert.equal(Math.round(distanceMetres({ lat: 0, lng: 0 }, { lat: 0, lng: 180 }) / 1000), 20_015)
})

test('bearings of the four compass points', () => {
  const from = { lat: 53, lng: -1.5 }
  assert.equal(Math.round(bearingDegrees(from, { lat: 53.01, lng: -1.5 })), 0)
  assert.equal(Math.round(bearingDegrees(from, { lat: 53, lng: -1.49 })), 90)
  assert.equal(Math.round(bearingDegrees(from, { lat: 52.99, lng: -1.5 })), 180)
  assert.equal(Math.round(bearingDegrees(from, { lat: 53, lng: -1.51 })), 270)
})
