import { mkdirSync } from 'node:fs'
import path from 'node:path'
import { DatabaseSync, type StatementSync } from 'node:sqlite'
import type { Logger } from '../log/index.ts'
import type { RawDelivery } from './delivery.ts'

/** A message of a durable queue as the journal keeps it. */
export interface JournaledMessage extends RawDelivery {
  content: string
  /** Its row: the key to forget it by once it is acked. */
  seq: number
  queue: string
  /** When a retry waiting out its backoff is due (epoch ms); null for a ready message. */
  dueAt: number | null
  /** Times it was handed to a consumer without being settled (the delivery limit counts them). */
  deliveries: number
}

/** What the journal held at open: the durable state of the embedded broker before the restart. */
export interface JournalState {
  queues: string[]
  bindings: Array<{ exchange: string; routingKey: string; queue: string }>
  /** Oldest first. */
  messages: JournaledMessage[]
}

export interface Journal {
  readonly state: JournalState
  declare(queue: string): void
  bind(exchange: string, routingKey: string, queue: string): void
  /** Records a message in `queue`; its `seq`. Written with the next batch. */
  put(queue: string, message: RawDelivery & { content: string }, dueAt?: number): number
  delivered(seq: number): void
  /** Forgets a message: acked, or moved to another queue. */
  remove(seq: number): void
  /** Resolves once everything recorded so far is written (rejects if that write failed). */
  written(): Promise<void>
  /** Writes what is left and closes the file. */
  close(): void
}

type Operation = [statement: StatementSync, ...values: Array<string | number | null>]

/**
 * The on-disk journal of an embedded broker: its durable queues, their bindings and the
 * persistent messages in them, in a SQLite database (`node:sqlite`, built into Node) in `dir`.
 * What happens in one turn of the event loop is written as one transaction (a few dozen
 * microseconds) and `written()` resolves after it. The write goes to the OS, not to the disk
 * (WAL, `synchronous=NORMAL`: no fsync per commit): a killed process loses nothing the OS has,
 * which is every confirmed write; a power cut may lose the last moments, never corrupt the file.
 * Opening it compacts it (`VACUUM`); between opens SQLite reuses the pages of acked messages and
 * keeps the write-ahead log bounded, so it never grows beyond the largest backlog.
 * One process at a time: a second one fails to open it (`locking_mode=EXCLUSIVE`).
 */
export function openJournal(dir: string, log: Logger): Journal {
  mkdirSync(dir, { recursive: true })
  const db = new DatabaseSync(path.join(dir, 'journal.db'))
  db.exec(`
    PRAGMA locking_mode = EXCLUSIVE;
    PRAGMA journal_mode = WAL;
    PRAGMA synchronous = NORMAL;
    PRAGMA journal_size_limit = 8388608;
    CREATE TABLE IF NOT EXISTS queues (name TEXT PRIMARY KEY) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS bindings (
      exchange TEXT NOT NULL, routing_key TEXT NOT NULL, queue TEXT NOT NULL,
      PRIMARY KEY (exchange, routing_key, queue)
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS messages (
      seq INTEGER PRIMARY KEY, queue TEXT NOT NULL, message_id TEXT NOT NULL, content TEXT NOT NULL,
      attempt INTEGER NOT NULL, headers TEXT NOT NULL, due_at INTEGER, deliveries INTEGER NOT NULL DEFAULT 0
    );
    VACUUM;
  `)
  const state = readState(db)
  let seq = state.messages.at(-1)?.seq ?? 0
  log.info({ dir, queues: state.queues.length, messages: state.messages.length }, 'broker journal opened')

  const statements = {
    declare: db.prepare('INSERT OR IGNORE INTO queues (name) VALUES (?)'),
    bind: db.prepare('INSERT OR IGNORE INTO bindings (exchange, routing_key, queue) VALUES (?, ?, ?)'),
    put: db.prepare(
      'INSERT INTO messages (seq, queue, message_id, content, attempt, headers, due_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    delivered: db.prepare('UPDATE messages SET deliveries = deliveries + 1 WHERE seq = ?'),
    remove: db.prepare('DELETE FROM messages WHERE seq = ?'),
  }

  let pending: Operation[] = []
  let closed = false
  let batch: { promise: Promise<void>; resolve(): void; reject(error: unknown): void } | undefined

  function record(operation: Operation) {
    // A handler still settling after the broker closed: the journal keeps the message unacked.
    if (closed) return
    pending.push(operation)
    if (!batch) {
      batch = Promise.withResolvers<void>()
      // A batch nobody waits for must not fail the process with an unhandled rejection.
      batch.promise.catch(() => {})
      setImmediate(flush)
    }
  }

  function flush() {
    const [operations, done] = [pending, batch]
    pending = []
    batch = undefined
    if (operations.length === 0) return done?.resolve()
    try {
      db.exec('BEGIN')
      for (const [statement, ...values] of operations) statement.run(...values)
      db.exec('COMMIT')
      done?.resolve()
    } catch (error) {
      if (db.isTransaction) db.exec('ROLLBACK')
      log.error({ err: error, operations: operations.length }, 'broker journal not written')
      done?.reject(error)
    }
  }

  return {
    state,
    declare: (queue) => record([statements.declare, queue]),
    bind: (exchange, routingKey, queue) => record([statements.bind, exchange, routingKey, queue]),
    put(queue, message, dueAt) {
      if (closed) throw new Error('the broker is closed')
      const headers = JSON.stringify(message.headers)
      const values = [message.messageId, message.content, message.attempt, headers, dueAt ?? null] as const
      record([statements.put, ++seq, queue, ...values])
      return seq
    },
    delivered: (row) => record([statements.delivered, row]),
    remove: (row) => record([statements.remove, row]),
    written: () => batch?.promise ?? Promise.resolve(),
    close() {
      flush()
      closed = true
      db.close()
    },
  }
}

function readState(db: DatabaseSync): JournalState {
  const queues = db.prepare('SELECT name FROM queues').all() as Array<{ name: string }>
  const bindings = db.prepare('SELECT exchange, routing_key, queue FROM bindings').all() as Array<{
    exchange: string
    routing_key: string
    queue: string
  }>
  const rows = db.prepare('SELECT * FROM messages ORDER BY seq').all() as Array<{
    seq: number
    queue: string
    message_id: string
    content: string
    attempt: number
    headers: string
    due_at: number | null
    deliveries: number
  }>
  return {
    queues: queues.map((row) => row.name),
    bindings: bindings.map((row) => ({
      exchange: row.exchange,
      routingKey: row.routing_key,
      queue: row.queue,
    })),
    messages: rows.map((row) => ({
      seq: row.seq,
      queue: row.queue,
      messageId: row.message_id,
      content: row.content,
      attempt: row.attempt,
      headers: JSON.parse(row.headers) as Record<string, unknown>,
      dueAt: row.due_at,
      deliveries: row.deliveries,
    })),
  }
}
