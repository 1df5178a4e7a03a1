import { useRef, useState } from 'preact/hooks'
import { useDismiss } from '../shared/hooks.ts'
import { Icon, ICONS } from '../shared/icons.tsx'
import { mayOpen, ROLE_LABELS, type Page } from '../shared/roles.ts'
import type { Me } from '../shared/types.ts'

const PAGE_LINKS: ReadonlyArray<{ page: Page; href: string; text: string }> = [
  { page: 'fleet', href: '#/', text: 'Fleet' },
  { page: 'uploads', href: '#/uploads', text: 'Uploads' },
  { page: 'users', href: '#/users', text: 'Users' },
]

export interface AccountMenuProps {
  user: Me
  page: Page | null
  signOut: () => Promise<void>
  changePassword: () => void
  editPreferences: () => void
}

/**
 * The header's account area: who is signed in and their role, the pages they may open (Fleet,
 * Uploads for dispatchers and admins, Users for admins; none for viewers, who have one page),
 * "Change password" and "Sign out". Inline on wide screens; on phones a menu behind the avatar (CSS
 * decides which; the toggle is only visible there).
 */
export function AccountMenu({ user, page, signOut, changePassword, editPreferences }: AccountMenuProps) {
  const [open, setOpen] = useState(false)
  const [signingOut, setSigningOut] = useState(false)
  const root = useRef<HTMLDivElement>(null)
  const toggle = useRef<HTMLButtonElement>(null)
  useDismiss(open, () => setOpen(false), root, toggle)
  const role = ROLE_LABELS[user.role] ?? user.role
  const links = PAGE_LINKS.filter((link) => mayOpen(link.page, user.role))
  const initial = user.username.charAt(0)
  return (
    <div class="account" id="account" ref={root} data-open={open ? '' : undefined}>
      <button
        ref={toggle}
        type="button"
        class="account-toggle"
        aria-expanded={open}
        aria-controls="account-menu"
        aria-label={`Account: ${user.username}, ${role}`}
        onClick={() => setOpen(!open)}
      >
        <span class="avatar" aria-hidden="true">
          {initial}
        </span>
      </button>
      <div class="account-menu" id="account-menu">
        {/* A page chosen closes the menu. */}
        <nav class="account-nav" aria-label="Pages" hidden={links.length < 2} onClick={() => setOpen(false)}>
          {links.map((link) => (
            <a
              key={link.page}
              class="account-link"
              href={link.href}
              aria-current={link.page === page ? 'page' : undefined}
            >
              {link.text}
            </a>
          ))}
        </nav>
        <div class="account-user">
          <span class="avatar" aria-hidden="true">
            {initial}
          </span>
          <span class="account-text">
            <span class="account-name">{user.username}</span>
            <span class="account-role">{role}</span>
          </span>
        </div>
        <button
          type="button"
          class="account-action"
          onClick={() => {
            setOpen(false)
            editPreferences()
          }}
        >
          <Icon path={ICONS.sliders} class="" />
          <span>Preferences</span>
        </button>
        <button
          type="button"
          class="account-action"
          onClick={() => {
            setOpen(false)
            changePassword()
          }}
        >
          <Icon path={ICONS.lock} class="" />
          <span>Change password</span>
        </button>
        <button
          type="button"
          class="account-action"
          disabled={signingOut}
          onClick={() => {
            setSigningOut(true)
            void signOut().finally(() => setSigningOut(false))
          }}
        >
          <Icon path={ICONS.signOut} class="" />
          <span>Sign out</span>
        </button>
      </div>
    </div>
  )
}
