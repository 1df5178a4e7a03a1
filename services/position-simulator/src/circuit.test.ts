import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createCircuit } from './circuit.ts'

const square = [
  { lat: 53, lng: -1.5 },
  { lat: 53.001, lng: -1.5 },
  { lat: 53.001, lng: -1.4983 },
  { lat: 53, lng: -1.4983 },
  { lat: 53, lng: -1.5 },
]
const close = (a: { lat: number; lng: number }, b: { lat: number; lng: number }, epsilon = 1e-9) =>
  Math.abs(a.lat - b.lat) < epsilon && Math.abs(a.lng - b.lng) < epsilon

test('a circuit interpolates along its points and wraps around', () => {
  const circuit = createCircuit(square)
  // Two sides of 0.001° latitude (111.2 m), two of 0.0017° longitude at 53° N (113.8 m).
  assert.ok(Math.abs(circuit.length - 450) < 1, `length ${circuit.length}`)
  const halfway = circuit.at(111.195 / 2)
  assert.ok(Math.abs(halfway.lat - 53.0005) < 1e-6 && halfway.lng === -1.5)
  assert.ok(close(circuit.at(circuit.length + 10), circuit.at(10)))
})

test('a track that does not end where it starts is closed, so a lap never jumps', () => {
  const open = createCircuit(square.slice(0, 4))
  assert.ok(Math.abs(open.length - 450) < 1, 'the leg back to the start is part of the circuit')
  assert.ok(close(open.at(open.length - 0.01), square[0]!, 1e-6))
})

test('a circuit sees the corner ahead', () => {
  const circuit = createCircuit(square)
  assert.ok(circuit.turnAhead(10, 40) < 1, 'straight at the start of a side')
  assert.ok(circuit.turnAhead(90, 40) > 60, 'corner ahead near the end of a side')
})
