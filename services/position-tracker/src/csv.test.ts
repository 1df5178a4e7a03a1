import assert from 'node:assert/strict'
import { test } from 'node:test'
import { csv, csvCell } from './csv.ts'

test('text is quoted, and a quote inside it doubled; commas and line breaks stay inside their cell', () => {
  assert.equal(csvCell('Van'), '"Van"')
  assert.equal(csvCell('say "hi", then\r\nleave'), '"say ""hi"", then\r\nleave"')
})

test('text a spreadsheet would run as a formula is shown as text', () => {
  for (const [text, cell] of [
    ['=HYPERLINK("http://evil","click")', `"'=HYPERLINK(""http://evil"",""click"")"`],
    ['+1+cmd|/C calc!A0', `"'+1+cmd|/C calc!A0"`],
    ['-2+3', `"'-2+3"`],
    ['@SUM(A1)', `"'@SUM(A1)"`],
    ['\t=1', `"'\t=1"`],
    ['\r=1', `"'\r=1"`],
    ['Van = 1', '"Van = 1"'],
  ])
    assert.equal(csvCell(text!), cell, text)
})

test('numbers and booleans are written as they are, negative ones too; nothing is an empty cell', () => {
  assert.deepEqual([csvCell(-1.47), csvCell(0), csvCell(true), csvCell(null)], ['-1.47', '0', 'true', ''])
})

test('a file: a byte-order mark, a header, rows, CRLF after each line', () => {
  assert.equal(
    csv(
      ['vehicle', 'lat'],
      [
        ['Größe', 53.5],
        ['=1', -1],
      ],
    ),
    '\ufeff"vehicle","lat"\r\n"Größe",53.5\r\n"\'=1",-1\r\n',
  )
})
