import { MAY_ADMINISTER_USERS, MAY_UPLOAD, ROLES } from '@convoy/contracts'
import type { Role } from './types.ts'

export const ROLE_LABELS: Record<Role, string> = {
  admin: 'Admin',
  dispatcher: 'Dispatcher',
  viewer: 'Viewer',
}

/** "Added vera as a viewer." */
export const A_ROLE: Record<Role, string> = {
  admin: 'an admin',
  dispatcher: 'a dispatcher',
  viewer: 'a viewer',
}

export type Page = 'fleet' | 'uploads' | 'users'

/** Who may open each page (the server refuses everyone else anyway). */
const PAGE_ROLES: Record<Page, readonly Role[]> = {
  fleet: ROLES,
  uploads: MAY_UPLOAD,
  users: MAY_ADMINISTER_USERS,
}

/** Whether `role` may use `page`. */
export const mayOpen = (page: Page, role: Role) => PAGE_ROLES[page].includes(role)
