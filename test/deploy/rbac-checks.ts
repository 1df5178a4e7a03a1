/**
 * Kubernetes RBAC, evaluated offline: what a group may do, given the Roles, ClusterRoles and
 * bindings of a build, decided as the API server's RBAC authorizer decides it. Rules only allow,
 * and add up; a ClusterRoleBinding grants its role's rules everywhere, a RoleBinding only in its
 * own namespace; a rule with `resourceNames` matches only a request that names one of them, which
 * a create or a list never does. Plus the project's rules for a group's rights (no wildcards, no
 * verb that grants rights).
 */
import { id, type K8sObject } from './k8s-checks.ts'

/** One request to the API, as the authorizer sees it. */
export interface Request {
  verb: string
  /** The API group: '' for the core group. */
  group: string
  /** The resource, plural and lower-case (`deployments`), or with a subresource (`pods/exec`). */
  resource: string
  /** Its namespace; none for a cluster-scoped resource, or for a request across all namespaces. */
  namespace?: string
  /** The object's name; none for a create, a list or a watch of a collection. */
  name?: string
}

interface Rule {
  apiGroups?: string[]
  resources?: string[]
  verbs: string[]
  resourceNames?: string[]
  nonResourceURLs?: string[]
}
interface Binding {
  roleRef: { apiGroup: string; kind: string; name: string }
  subjects?: Array<{ kind: string; name: string; namespace?: string }>
}

/** A rule a group holds, where it holds it (everywhere, or one namespace), and through what. */
export interface Grant {
  rule: Rule
  namespace?: string
  via: string
}

const BINDINGS = ['ClusterRoleBinding', 'RoleBinding']
const boundTo = (binding: K8sObject, group: string) =>
  ((binding as unknown as Binding).subjects ?? []).some((s) => s.kind === 'Group' && s.name === group)

/** The role a binding refers to, if the build has it. */
function roleOf(objects: K8sObject[], binding: K8sObject): K8sObject | undefined {
  const { kind, name } = (binding as unknown as Binding).roleRef
  return objects.find(
    (o) =>
      o.kind === kind &&
      o.metadata.name === name &&
      (kind === 'ClusterRole' || o.metadata.namespace === binding.metadata.namespace),
  )
}

/** Every rule the group holds through the build's bindings. */
export function grants(objects: K8sObject[], group: string): Grant[] {
  return objects
    .filter((o) => BINDINGS.includes(o.kind) && boundTo(o, group))
    .flatMap((binding) => {
      const role = roleOf(objects, binding)
      const rules = ((role as { rules?: Rule[] } | undefined)?.rules ?? []).filter((r) => !r.nonResourceURLs)
      return rules.map((rule) => ({
        rule,
        namespace: binding.kind === 'RoleBinding' ? binding.metadata.namespace : undefined,
        via: `${id(binding)} → ${role ? id(role) : 'nothing'}`,
      }))
    })
}

const listed = (list: string[] | undefined, value: string) =>
  !!list && (list.includes('*') || list.includes(value))
// A rule's resource against the request's: itself, a star, or a star and the subresource.
const resourceListed = (list: string[] | undefined, resource: string) =>
  listed(list, resource) || (resource.includes('/') && !!list?.includes(`*/${resource.split('/')[1]}`))

export function ruleMatches(rule: Rule, request: Request): boolean {
  if (!listed(rule.verbs, request.verb) || !listed(rule.apiGroups, request.group)) return false
  if (!resourceListed(rule.resources, request.resource)) return false
  if (!rule.resourceNames?.length) return true
  return request.name !== undefined && rule.resourceNames.includes(request.name)
}

/** Whether the rules held allow the request: one rule that matches it, where it applies. */
export function allowed(held: Grant[], request: Request): boolean {
  return held.some(
    ({ rule, namespace }) =>
      (namespace === undefined || namespace === request.namespace) && ruleMatches(rule, request),
  )
}

/** The resource of a kind, as RBAC names it: lower-case and plural. */
export function resourceOf(kind: string): string {
  const lower = kind.toLowerCase()
  if (/[^aeiou]y$/.test(lower)) return `${lower.slice(0, -1)}ies`
  if (lower.endsWith('s')) return `${lower}es`
  return `${lower}s`
}

/**
 * The request that does `verb` to an object of the build. A Namespace is its own namespace: the
 * API server files `GET /api/v1/namespaces/<name>` under the namespace <name>, so a RoleBinding
 * there would grant it.
 */
export function requestFor(object: K8sObject, verb: string): Request {
  const named = !['create', 'list', 'watch'].includes(verb)
  return {
    verb,
    group: object.apiVersion.includes('/') ? object.apiVersion.split('/')[0]! : '',
    resource: resourceOf(object.kind),
    namespace: object.kind === 'Namespace' ? object.metadata.name : object.metadata.namespace,
    name: named ? object.metadata.name : undefined,
  }
}

export const describeRequest = ({ verb, group, resource, namespace, name }: Request) =>
  `${verb} ${group ? `${resource}.${group}` : resource}${name ? ` ${name}` : ''}` +
  (namespace ? ` in ${namespace}` : ' cluster-wide')

/** Verbs that hand out rights: whoever holds them can give themselves more. */
const GRANTING = ['escalate', 'bind', 'impersonate']

/**
 * The project's rules for the rights a group is given: no wildcard verb, group or resource; no verb
 * that grants rights; no non-resource URL; no aggregated role, whose rules others write; and every
 * binding of the group names a role the build holds (not a built-in one such as `edit`).
 */
export function rbacRuleProblems(objects: K8sObject[], group: string): string[] {
  const problems: string[] = []
  const bindings = objects.filter((o) => BINDINGS.includes(o.kind) && boundTo(o, group))
  for (const binding of bindings) {
    const role = roleOf(objects, binding)
    const { kind, name } = (binding as unknown as Binding).roleRef
    if (!role) {
      problems.push(`${id(binding)}: its ${kind} ${name} is not in the build`)
      continue
    }
    if (role.aggregationRule) problems.push(`${id(role)}: aggregates other roles' rules`)
    for (const [i, rule] of ((role as { rules?: Rule[] }).rules ?? []).entries()) {
      const where = `${id(role)} rule ${i + 1}`
      for (const [field, values] of Object.entries({
        verbs: rule.verbs,
        apiGroups: rule.apiGroups,
        resources: rule.resources,
      }))
        for (const value of values ?? [])
          if (value === '*' || value.startsWith('*/')) problems.push(`${where}: ${field} ${value}`)
      for (const verb of rule.verbs.filter((v) => GRANTING.includes(v)))
        problems.push(`${where}: the verb ${verb} grants rights`)
      if (rule.nonResourceURLs)
        problems.push(`${where}: non-resource URLs ${rule.nonResourceURLs.join(', ')}`)
    }
  }
  return problems
}
