import assert from 'node:assert/strict'
import { test } from 'node:test'
import { downloadName, mp3Name } from './download-name.ts'

test('reads the UTF-8 name first, as media sends both', () => {
  const header = `attachment; filename="Gr__e.mp3"; filename*=UTF-8''Gr%C3%BC%C3%9Fe.mp3`
  assert.equal(downloadName(header, 'x.mp3'), 'Grüße.mp3')
})

test('reads a quoted or a bare filename', () => {
  assert.equal(downloadName('attachment; filename="clip one.mp3"', 'x.mp3'), 'clip one.mp3')
  assert.equal(downloadName('attachment; filename="say \\"hi\\".mp3"', 'x.mp3'), 'say "hi".mp3')
  assert.equal(downloadName('attachment; filename=clip.mp3; size=3', 'x.mp3'), 'clip.mp3')
  assert.equal(downloadName('attachment; FILENAME=clip.mp3', 'x.mp3'), 'clip.mp3')
})

test('falls back when there is no usable name', () => {
  assert.equal(downloadName(null, 'clip.mp3'), 'clip.mp3')
  assert.equal(downloadName('attachment', 'clip.mp3'), 'clip.mp3')
  assert.equal(downloadName('attachment; filename=""', 'clip.mp3'), 'clip.mp3')
  // A broken or non-UTF-8 extended name: the plain one.
  assert.equal(downloadName(`attachment; filename="a.mp3"; filename*=UTF-8''%E0%A4%A`, 'x.mp3'), 'a.mp3')
  assert.equal(downloadName(`attachment; filename="a.mp3"; filename*=iso-8859-1''%E4.mp3`, 'x.mp3'), 'a.mp3')
})

test('never keeps a folder in the name', () => {
  assert.equal(downloadName('attachment; filename="../../etc/passwd"', 'x.mp3'), 'passwd')
  assert.equal(downloadName(`attachment; filename*=UTF-8''..%2F..%2Fevil.mp3`, 'x.mp3'), 'evil.mp3')
  assert.equal(downloadName('attachment; filename="C:\\\\temp\\\\a.mp3"', 'x.mp3'), 'a.mp3')
  assert.equal(downloadName('attachment; filename=".."', 'x.mp3'), 'x.mp3')
})

test('the MP3 of an upload is named after it', () => {
  assert.equal(mp3Name('clip.mp4'), 'clip.mp3')
  assert.equal(mp3Name('trip.2024.mov'), 'trip.2024.mp3')
  assert.equal(mp3Name('video'), 'video.mp3')
  assert.equal(mp3Name('.mp4'), 'audio.mp3')
})
