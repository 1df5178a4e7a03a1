import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ConfigError, loadConfig, port, stringOrEmpty, Type } from './index.ts'

const Schema = Type.Object({
  PORT: port(8080),
  DATABASE_URL: Type.String({ minLength: 1 }),
  VERBOSE: Type.Boolean({ default: false }),
})

test('converts strings and applies defaults', () => {
  const config = loadConfig(Schema, { DATABASE_URL: 'postgres://x', VERBOSE: 'true', UNRELATED: 'y' })
  assert.deepEqual(config, { PORT: 8080, DATABASE_URL: 'postgres://x', VERBOSE: true })
})

test('names the missing variable', () => {
  assert.throws(
    () => loadConfig(Schema, {}),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError)
      assert.match(error.message, /DATABASE_URL/)
      return true
    },
  )
})

test('names the invalid variable and its value', () => {
  assert.throws(() => loadConfig(Schema, { DATABASE_URL: 'x', PORT: 'eighty' }), /PORT: .*\(got "eighty"\)/)
  assert.throws(() => loadConfig(Schema, { DATABASE_URL: 'x', PORT: '70000' }), /PORT/)
})

test('treats an empty variable as unset', () => {
  assert.equal(loadConfig(Schema, { DATABASE_URL: 'x', PORT: '' }).PORT, 8080)
})

test('keeps an empty value where it is a choice of its own, and the default where it is unset', () => {
  const Tiles = Type.Object({ TILE_URL: stringOrEmpty('https://tiles.example/{z}/{x}/{y}.png') })
  assert.equal(loadConfig(Tiles, { TILE_URL: '' }).TILE_URL, '')
  assert.equal(loadConfig(Tiles, {}).TILE_URL, 'https://tiles.example/{z}/{x}/{y}.png')
  assert.equal(
    loadConfig(Tiles, { TILE_URL: 'https://other/{z}/{x}/{y}.png' }).TILE_URL,
    'https://other/{z}/{x}/{y}.png',
  )
})

test('never shows a refused secret, nor the password in a refused URL', () => {
  const Secrets = Type.Object({
    ADMIN_PASSWORD: Type.String({ minLength: 8 }),
    BROKER_URL: Type.String({ pattern: '^amqps?://' }),
  })
  assert.throws(
    () => loadConfig(Secrets, { ADMIN_PASSWORD: 'short', BROKER_URL: 'http://user:hunter22@host/vhost' }),
    (error: Error) =>
      /ADMIN_PASSWORD: .*\(got a value, not shown\)/.test(error.message) &&
      error.message.includes('"http://user:***@host/vhost"') &&
      !error.message.includes('short') &&
      !error.message.includes('hunter22'),
  )
})
