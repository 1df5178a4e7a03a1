/**
 * Whether a path of the build context is left out by a .dockerignore, by Docker's rules
 * (moby/patternmatcher): `*` and `?` stay within one path segment, `**` spans any number of them,
 * a leading `/` means the context root (as does no slash), `!` lets back in what an earlier line
 * left out, the last matching line wins, and a line that matches a folder matches all it holds.
 */
export function dockerignore(text: string): (path: string) => boolean {
  const rules = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const exception = line.startsWith('!')
      const pattern = (exception ? line.slice(1) : line).trim().replace(/^\/+|\/+$/g, '')
      return { exception, regexp: toRegExp(pattern) }
    })
  return (path) => {
    const segments = path.split('/')
    const candidates = segments.map((_, index) => segments.slice(0, index + 1).join('/'))
    let excluded = false
    for (const { exception, regexp } of rules) {
      if (candidates.some((candidate) => regexp.test(candidate))) excluded = !exception
    }
    return excluded
  }
}

function toRegExp(pattern: string): RegExp {
  let source = ''
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i] ?? ''
    if (char === '*' && pattern[i + 1] === '*') {
      i++
      // `**/` may match no folder at all; a final `**` matches everything below.
      if (pattern[i + 1] === '/') {
        i++
        source += '(?:.*/)?'
      } else source += '.*'
    } else if (char === '*') source += '[^/]*'
    else if (char === '?') source += '[^/]'
    else source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&')
  }
  return new RegExp(`^${source}$`)
}
