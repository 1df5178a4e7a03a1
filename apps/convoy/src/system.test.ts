import assert from 'node:assert/strict'
import { test } from 'node:test'
import { publicUrl, wiring } from './system.ts'

test('emails link to where users open the app: the gateway’s port and interface, or PUBLIC_URL', () => {
  assert.equal(publicUrl({}, '127.0.0.1', 9000), 'http://localhost:9000')
  assert.equal(publicUrl({}, '0.0.0.0', 8080), 'http://localhost:8080')
  assert.equal(publicUrl({}, '192.168.1.20', 8080), 'http://192.168.1.20:8080')
  assert.equal(publicUrl({}, 'fd00::20', 8080), 'http://[fd00::20]:8080')
  assert.equal(
    publicUrl({ PUBLIC_URL: 'https://convoy.example.com' }, '0.0.0.0', 8080),
    'https://convoy.example.com',
  )
  assert.equal(publicUrl({}, '127.0.0.1', 0), undefined, 'a port the OS picks later is not known yet')
  // Both launchers hand it to notification the same way.
  assert.equal(wiring('notification', {}, 'http://localhost:9000').PUBLIC_URL, 'http://localhost:9000')
  assert.ok(!('PUBLIC_URL' in wiring('notification', {}, undefined)))
})

test('notification reads whom to email fleet alerts from auth, as it reads the keys', () => {
  const env = wiring('notification', { auth: 'http://127.0.0.1:41000' })
  assert.equal(env.AUTH_ALERT_RECIPIENTS_URL, 'http://127.0.0.1:41000/internal/alert-recipients')
  assert.equal(env.AUTH_JWKS_URL, 'http://127.0.0.1:41000/auth/.well-known/jwks.json')
})
