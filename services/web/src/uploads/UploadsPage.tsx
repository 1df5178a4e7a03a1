import type { ComponentChildren } from 'preact'
import { useEffect, useRef, useState } from 'preact/hooks'
import type { Api } from '../shared/api.ts'
import { formatBytes } from '../shared/byte-size.ts'
import { ConfirmDialog } from '../shared/dialogs.tsx'
import { useInterval, useMounted } from '../shared/hooks.ts'
import { Icon, ICONS } from '../shared/icons.tsx'
import { plural } from '../shared/plural.ts'
import { problemText } from '../shared/problem-text.ts'
import { useDisplay } from '../shared/display-context.ts'
import { saveFile } from '../shared/save-file.ts'
import type { Email, Media, MediaWithOwner } from '../shared/types.ts'
import { failureReason, STATUS_LABELS } from './media-jobs.ts'
import type { Sending, UploadsStore } from './uploads-store.ts'

/** How often "4 min ago" is redrawn. */
const TICK_MS = 20_000

export interface UploadsPageProps {
  store: UploadsStore
  api: Pick<Api, 'mp3' | 'media'>
  /** Viewers cannot upload: they are told why instead. */
  canUpload: boolean
  /** Admins may list every user's videos (an audit), and download but not delete others'. */
  canAudit: boolean
  /** The signed-in user's username. */
  me: string
}

/**
 * `#/uploads`: send videos (drop or choose, with progress and Cancel), follow their conversion
 * live, download the MP3s, delete jobs, and read the emails sent about them. Viewers see why
 * they cannot upload instead. Opening the page loads the jobs and the emails afresh.
 */
export function UploadsPage({ store, api, canUpload, canAudit, me }: UploadsPageProps) {
  const [message, setMessage] = useState<{ tone: 'status' | 'error'; text: string } | null>(null)
  const [deleting, setDeleting] = useState<Media | null>(null)
  const [now, setNow] = useState(Date.now)
  /** Everyone's videos, for an admin's audit (null: the user's own, live). */
  const [everyone, setEveryone] = useState<readonly MediaWithOwner[] | null>(null)
  const mounted = useMounted()
  useInterval(() => setNow(Date.now()), TICK_MS)
  const showEveryone = async (all: boolean) => {
    if (!all) return setEveryone(null)
    try {
      const list = await api.media('all')
      if (mounted()) setEveryone(list)
    } catch (error) {
      fail(error)
    }
  }
  useEffect(() => {
    if (!canUpload) return
    store.visible = true
    void store.load()
    return () => {
      store.visible = false
    }
  }, [store, canUpload])

  const fail = (error: unknown) => mounted() && setMessage({ tone: 'error', text: problemText(error) })
  const download = async (media: Media) => {
    try {
      const { blob, filename } = await api.mp3(media)
      saveFile(document, blob, filename)
      if (mounted()) setMessage({ tone: 'status', text: `Downloaded ${filename}.` })
    } catch (error) {
      fail(error)
    }
  }
  const remove = async (media: Media) => {
    try {
      await store.delete(media)
      if (mounted()) setMessage({ tone: 'status', text: `Deleted ${media.filename}.` })
    } catch (error) {
      fail(error)
    }
  }

  const jobs = everyone ?? store.jobs.value
  const emails = store.emails.value
  const jobsError = message?.tone === 'error' ? message.text : store.jobsError.value
  const announcement = store.announcement.value
  return (
    <DropTarget enabled={canUpload} onFiles={(files) => store.add(files)}>
      {(over) => (
        <>
          <div class="uploads-inner">
            <header class="uploads-head">
              <h1 class="uploads-title" id="uploads-title">
                Uploads
              </h1>
              <p class="uploads-lead">
                Turn dashcam videos into MP3 audio. When one is ready you get a notification and an email.
              </p>
            </header>

            {!canUpload && <Denied />}
            {canUpload && (
              <>
                <section class="card" data-part="uploader" aria-labelledby="upload-title">
                  <h2 class="card-title" id="upload-title">
                    Upload a video
                  </h2>
                  <Chooser over={over} onFiles={(files) => store.add(files)} />
                  <ul class="upload-queue" aria-label="Uploads in progress">
                    {store.sending.value.map((item) => (
                      <UploadRow
                        key={item.id}
                        item={item}
                        onAction={() =>
                          item.state === 'failed' ? store.dismiss(item.id) : store.cancel(item.id)
                        }
                      />
                    ))}
                  </ul>
                </section>

                <section class="card card-flush" data-part="jobs" aria-labelledby="media-title">
                  <div class="card-head">
                    <h2 class="card-title" id="media-title">
                      {everyone ? "Everyone's videos" : 'Your videos'}
                    </h2>
                    <span class="card-count">{count(jobs.length, 'video')}</span>
                    {canAudit && (
                      <span class="card-tools" role="group" aria-label="Whose videos">
                        <button
                          type="button"
                          class="segment"
                          aria-pressed={everyone === null}
                          onClick={() => void showEveryone(false)}
                        >
                          Mine
                        </button>
                        <button
                          type="button"
                          class="segment"
                          aria-pressed={everyone !== null}
                          onClick={() => void showEveryone(true)}
                        >
                          Everyone's
                        </button>
                      </span>
                    )}
                  </div>
                  <p class="notice" role="status" hidden={message?.tone !== 'status'}>
                    {message?.tone === 'status' ? message.text : ''}
                  </p>
                  <p class="form-error notice" role="alert" hidden={jobsError === null}>
                    {jobsError}
                  </p>
                  <ul class="media-list" aria-labelledby="media-title">
                    {jobs.map((media) => (
                      <MediaRow
                        key={media.id}
                        media={media}
                        owner={everyone ? ownerOf(media) : undefined}
                        now={now}
                        download={() => download(media)}
                        // Others' videos are for reading: only their owner deletes them.
                        remove={everyone && ownerOf(media) !== me ? undefined : () => setDeleting(media)}
                      />
                    ))}
                  </ul>
                  <p class="card-empty" hidden={jobs.length > 0}>
                    No videos yet: upload one above.
                  </p>
                </section>

                <section class="card card-flush" data-part="emails" aria-labelledby="emails-title">
                  <div class="card-head">
                    <h2 class="card-title" id="emails-title">
                      Emails
                    </h2>
                    <span class="card-count">{count(emails.length, 'email')}</span>
                  </div>
                  <p class="form-error notice" role="alert" hidden={store.emailsError.value === null}>
                    {store.emailsError.value}
                  </p>
                  <ul class="email-list" aria-labelledby="emails-title">
                    {emails.map((email) => (
                      <EmailRow key={email.id} email={email} now={now} />
                    ))}
                  </ul>
                  <p class="card-empty" hidden={emails.length > 0}>
                    No emails yet. One is sent to you when a video is done, and for each fleet alert if you
                    chose so in your preferences.
                  </p>
                </section>
              </>
            )}
          </div>
          <p class="visually-hidden" data-part="announcer" role="status">
            {/* A new text node each time, so that the same words twice are read twice. */}
            <span key={announcement.count}>{announcement.text}</span>
          </p>
          {deleting !== null && (
            <ConfirmDialog
              id="delete-media-dialog"
              title={
                <>
                  Delete <span>{deleting.filename}</span>?
                </>
              }
              confirm="Delete video"
              onAnswer={(confirmed) => {
                setDeleting(null)
                if (confirmed) void remove(deleting)
              }}
            >
              <p>The video and its MP3 are removed for good.</p>
            </ConfirmDialog>
          )}
        </>
      )}
    </DropTarget>
  )
}

/** Whose video it is: listings carry its owner's username. */
const ownerOf = (media: Media): string =>
  'ownerName' in media && typeof media.ownerName === 'string' ? media.ownerName : ''

const count = (n: number, noun: string) => (n > 0 ? `${n} ${plural(n, noun)}` : '')

function Denied() {
  return (
    <section class="card denied" data-part="denied" aria-labelledby="denied-title">
      <Icon path="M4 7.5h8v6H4zM5.75 7.5V5.25a2.25 2.25 0 0 1 4.5 0V7.5" class="denied-icon" />
      <div class="denied-text">
        <h2 class="denied-title" id="denied-title">
          Viewers cannot upload videos
        </h2>
        <p>
          Your account can watch the fleet. To upload dashcam videos and get their audio, ask an admin to make
          you a dispatcher.
        </p>
        <a class="button" href="#/">
          Back to the fleet
        </a>
      </div>
    </section>
  )
}

/**
 * The page, a drop target: a video dropped anywhere on it is taken (the browser would otherwise
 * open it in place of the app), and the drop zone lights up while files are dragged over.
 */
function DropTarget({
  enabled,
  onFiles,
  children,
}: {
  enabled: boolean
  onFiles: (files: File[]) => void
  children: (over: boolean) => ComponentChildren
}) {
  const [over, setOver] = useState(false)
  /** dragenter/dragleave fire for every child crossed: count them to know when the drag left. */
  const depth = useRef(0)
  const carriesFiles = (event: DragEvent) => event.dataTransfer?.types.includes('Files') ?? false
  return (
    <main
      class="uploads"
      id="uploads"
      aria-labelledby="uploads-title"
      onDragEnter={(event) => {
        if (!carriesFiles(event)) return
        event.preventDefault()
        depth.current++
        setOver(enabled)
      }}
      onDragOver={(event) => {
        if (!carriesFiles(event)) return
        event.preventDefault()
        if (event.dataTransfer) event.dataTransfer.dropEffect = enabled ? 'copy' : 'none'
      }}
      onDragLeave={(event) => {
        if (!carriesFiles(event)) return
        depth.current = Math.max(0, depth.current - 1)
        if (depth.current === 0) setOver(false)
      }}
      onDrop={(event) => {
        if (!carriesFiles(event)) return
        event.preventDefault()
        depth.current = 0
        setOver(false)
        const files = [...(event.dataTransfer?.files ?? [])]
        if (files.length > 0 && enabled) onFiles(files)
      }}
    >
      {children(over)}
    </main>
  )
}

/** The drop zone's face: "Choose a video" is a real button, so the keyboard reaches it. */
function Chooser({ over, onFiles }: { over: boolean; onFiles: (files: File[]) => void }) {
  const input = useRef<HTMLInputElement>(null)
  return (
    <div class="drop-zone" data-over={over ? '' : undefined}>
      <svg class="drop-icon" viewBox="0 0 24 24" aria-hidden="true">
        <path d="M12 15.5V4.5M7.5 9 12 4.5 16.5 9M4.5 14.5v3a2 2 0 0 0 2 2h11a2 2 0 0 0 2-2v-3" />
      </svg>
      <p class="drop-title">Drag and drop a video here</p>
      <p class="drop-hint">MP4, MOV, MKV, WebM… Its sound track becomes an MP3.</p>
      <button type="button" class="button button-primary" onClick={() => input.current?.click()}>
        Choose a video
      </button>
      <input
        ref={input}
        type="file"
        accept="video/*"
        multiple
        hidden
        tabIndex={-1}
        aria-label="Video to upload"
        onChange={(event) => {
          const element = event.currentTarget
          const files = [...(element.files ?? [])]
          // Cleared, so that choosing the same file again is a change too.
          element.value = ''
          if (files.length > 0) onFiles(files)
        }}
      />
    </div>
  )
}

/**
 * A video being sent: its name, a progress bar with the percent and the size sent, and Cancel; a
 * failed one keeps the server's reason until dismissed.
 */
function UploadRow({ item, onAction }: { item: Sending; onAction: () => void }) {
  const { name, state } = item
  const failed = state === 'failed'
  const figures =
    state === 'checking' ? 'Checking the video…' : failed ? '' : `${item.percent}% · ${item.sent}`
  return (
    <li class="upload" data-state={state}>
      <Icon path={failed ? ICONS.alert : ICONS.film} class="icon upload-icon" />
      <div class="upload-main">
        <div class="upload-line">
          <span class="upload-name">{name}</span>
          <span class="upload-figures">{figures}</span>
        </div>
        {/* Without a value, the bar says "working on it" (media checks the video). */}
        {state === 'sending' && (
          <progress
            key="sending"
            class="upload-bar"
            max={100}
            value={item.percent}
            aria-label={`Uploading ${name}`}
          />
        )}
        {state === 'checking' && (
          <progress key="checking" class="upload-bar" aria-label={`Uploading ${name}`} />
        )}
        <p class="upload-error" role="alert" hidden={!failed}>
          {item.error}
        </p>
      </div>
      <button
        type="button"
        class="button button-small"
        aria-label={failed ? `Dismiss ${name}` : `Cancel the upload of ${name}`}
        onClick={onAction}
      >
        {failed ? 'Dismiss' : 'Cancel'}
      </button>
    </li>
  )
}

interface MediaRowProps {
  media: Media
  /** Whose video it is, in an audit of everyone's. */
  owner?: string
  now: number
  download: () => Promise<void>
  /** Absent for a video the user may not delete. */
  remove?: () => void
}

/** A job: name, size, when, a status badge (converting ones pulse), why it failed, Download, Delete. */
function MediaRow({ media, owner, now, download, remove }: MediaRowProps) {
  const display = useDisplay()
  const [busy, setBusy] = useState(false)
  const failed = media.status === 'failed'
  return (
    <li class="media-row" data-id={media.id} data-status={media.status} aria-busy={busy ? 'true' : undefined}>
      <Icon path={ICONS.film} class="icon media-icon" />
      <div class="media-main">
        <span class="media-name">{media.filename}</span>
        <span class="media-meta">
          {owner !== undefined && (
            <>
              <span class="media-owner">{owner}</span> <span class="media-dot">·</span>{' '}
            </>
          )}
          <span>{formatBytes(media.size)}</span> <span class="media-dot">·</span>{' '}
          <time dateTime={media.createdAt} title={`Uploaded ${display.dateTime(media.createdAt)}`}>
            {display.when(media.createdAt, now)}
          </time>
        </span>
        <p class="media-error" hidden={!failed}>
          {failed ? failureReason(media) : ''}
        </p>
      </div>
      <span class="status-badge" data-state={media.status}>
        {STATUS_LABELS[media.status]}
      </span>
      <div class="media-actions">
        <button
          type="button"
          class="button button-small"
          hidden={media.status !== 'ready'}
          aria-label={`Download the MP3 of ${media.filename}`}
          onClick={() => {
            if (busy) return
            setBusy(true)
            void download().finally(() => setBusy(false))
          }}
        >
          <Icon path={ICONS.download} />
          <span>Download</span>
        </button>
        <button
          type="button"
          class="button button-small button-quiet-danger"
          aria-label={`Delete ${media.filename}`}
          hidden={remove === undefined}
          onClick={() => !busy && remove?.()}
        >
          <Icon path={ICONS.trash} />
          <span>Delete</span>
        </button>
      </div>
    </li>
  )
}

/** An email sent to the user: subject, recipient, when it was sent (or that it waits), its text. */
function EmailRow({ email, now }: { email: Email; now: number }) {
  const display = useDisplay()
  const sent = email.sentAt ? `sent ${display.when(email.sentAt, now)}` : 'waiting to be sent'
  // Videos' emails are `media.*`; every other kind is a fleet event's (see fleet-events).
  const alert = !email.kind.startsWith('media.')
  return (
    <li
      class="email"
      data-id={email.id}
      data-kind={alert ? 'alert' : 'video'}
      data-waiting={email.sentAt ? undefined : ''}
    >
      <details>
        <summary>
          <Icon path={alert ? ICONS.pin : ICONS.mail} class="icon email-icon" />
          <span class="email-head">
            <span class="email-subject">
              {alert && <span class="email-kind">Fleet alert</span>}
              {alert && ' '}
              {email.subject}
            </span>
            <span class="email-meta" title={email.sentAt ? `Sent ${display.dateTime(email.sentAt)}` : ''}>
              To {email.to} · {sent}
            </span>
          </span>
        </summary>
        <p class="email-text">{email.text}</p>
      </details>
    </li>
  )
}
