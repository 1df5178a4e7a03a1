/**
 * The cluster's add-ons (deploy/k8s/addons), checked offline: what install.sh's dry run says it
 * would run, its values files, the Karpenter NodePool and EC2NodeClass, each against the pinned
 * versions and against what Terraform names (read from the .tf files' text: no provider runs here).
 * Each check returns the problems it found, in words; an empty list means none.
 */
import { spawnSync } from 'node:child_process'
import { parseAllDocuments } from 'yaml'
import type { K8sObject } from './k8s-checks.ts'

/** `KEY=value` lines of a file like versions.env. */
export function parseVersions(text: string): Map<string, string> {
  return new Map(
    [...text.matchAll(/^([A-Z][A-Z0-9_]*)=(\S+)$/gm)].map((m): [string, string] => [m[1]!, m[2]!]),
  )
}

/** A `helm upgrade --install` of the dry run: its release, chart and options. */
export interface Release {
  name: string
  chart: string
  /** Each option and its values, in order (`--set` repeats; a flag has none). */
  options: Map<string, string[]>
  line: number
}

/** What install.sh --dry-run printed: its commands in order, the releases, the Karpenter manifests. */
export interface DryRun {
  commands: string[]
  releases: Release[]
  manifests: K8sObject[]
}

/** Runs install.sh --dry-run with these settings, and reads what it printed. */
export function dryRun(script: string, env: Record<string, string>): DryRun {
  const result = spawnSync('bash', [script, '--dry-run'], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
  })
  if (result.status !== 0) throw new Error(`${script} --dry-run failed: ${result.stderr}`)
  return parseDryRun(result.stdout)
}

export function parseDryRun(output: string): DryRun {
  const commands: string[] = []
  const heredoc: string[] = []
  let inHeredoc = false
  for (const line of output.split('\n')) {
    if (inHeredoc) {
      if (line === 'EOF') inHeredoc = false
      else heredoc.push(line)
      continue
    }
    if (line === '' || line.startsWith('#')) continue
    commands.push(line)
    if (line.endsWith("<<'EOF'")) inHeredoc = true
  }
  const releases = commands.flatMap((line, index): Release[] => {
    const words = line.split(/\s+/)
    if (words[0] !== 'helm' || words[1] !== 'upgrade') return []
    const options = new Map<string, string[]>()
    const positional: string[] = []
    for (let i = 2; i < words.length; i++) {
      const word = words[i]!
      if (!word.startsWith('--')) positional.push(word)
      else if (['--install', '--wait', '--create-namespace', '--skip-crds'].includes(word))
        options.set(word, [])
      else options.set(word, [...(options.get(word) ?? []), words[++i]!.replace(/\\(.)/g, '$1')])
    }
    return [{ name: positional[0]!, chart: positional[1]!, options, line: index }]
  })
  const manifests = parseAllDocuments(heredoc.join('\n'))
    .map((doc) => doc.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null)
  return { commands, releases, manifests }
}

const option = (release: Release, name: string) => release.options.get(name)?.[0]

/**
 * install.sh installs what `expected` lists, in that order (release → namespace), each chart at a
 * version of versions.env that install.sh itself never writes out, waiting for it, with its own
 * values file; a chart whose CRDs it applies itself (`helm show crds`) has Helm skip them, at the
 * same version; and the Gateway API CRDs, standard channel at versions.env's version, come first.
 */
export function installProblems(
  script: string,
  versions: Map<string, string>,
  run: DryRun,
  expected: Array<[release: string, namespace: string]>,
): string[] {
  const problems: string[] = []
  const pinned = new Set(versions.values())
  // The script's commands name no version of their own: they take versions.env's.
  const code = script.split('\n').filter((line) => !/^\s*#/.test(line))
  for (const line of code)
    for (const [version] of line.matchAll(/\bv?\d+\.\d+(\.\d+)?\b/g))
      problems.push(`install.sh names a version itself (${version}): ${line.trim()}`)

  const order = run.releases.map((r) => `${r.name} ${option(r, '--namespace')}`)
  const wanted = expected.map(([name, namespace]) => `${name} ${namespace}`)
  if (order.join() !== wanted.join())
    problems.push(`releases in order: [${order.join(', ')}], not [${wanted.join(', ')}]`)

  const used = new Set<string>()
  for (const release of run.releases) {
    const version = option(release, '--version')
    if (!version || !pinned.has(version))
      problems.push(`${release.name}: version ${version ?? 'none'} is not pinned in versions.env`)
    else used.add(version)
    if (!release.options.has('--install') || !release.options.has('--wait'))
      problems.push(`${release.name}: not helm upgrade --install --wait`)
    if (!option(release, '--values')?.endsWith(`/values/${release.name}.yaml`))
      problems.push(`${release.name}: values ${option(release, '--values')}, not values/${release.name}.yaml`)
    const crds = run.commands.findIndex(
      (line) =>
        line.startsWith(`helm show crds ${release.chart} `) && line.includes('kubectl apply --server-side'),
    )
    if (crds >= 0) {
      if (!run.commands[crds]!.includes(`--version ${version} `))
        problems.push(`${release.name}: its CRDs are not those of version ${version}`)
      if (crds > release.line) problems.push(`${release.name}: its CRDs are applied after the chart`)
      if (!release.options.has('--skip-crds'))
        problems.push(`${release.name}: Helm would install the CRDs the script applies (no --skip-crds)`)
    }
  }
  const gatewayApi = versions.get('GATEWAY_API_VERSION')
  const url = `https://github.com/kubernetes-sigs/gateway-api/releases/download/${gatewayApi}/standard-install.yaml`
  if (run.commands[0] !== `kubectl apply --server-side -f ${url}`)
    problems.push(`the first command is not the Gateway API CRDs' standard channel: ${run.commands[0]}`)
  else if (gatewayApi) used.add(gatewayApi)
  for (const [name, version] of versions)
    if (!used.has(version)) problems.push(`versions.env: ${name}=${version} is installed by nothing`)
  return problems
}

/** A value of a parsed YAML document by its dotted path (keys may hold dots: give them as arrays). */
export function at(document: unknown, ...path: string[]): unknown {
  return path.reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], document)
}

/** A string variable's default in Terraform: `variable "<name>" { … default = "…" }` (or a number). */
export function terraformDefault(terraform: string, variable: string): string | undefined {
  const block = new RegExp(`variable "${variable}" \\{([^]*?)\\n\\}`).exec(terraform)?.[1] ?? ''
  return /^\s*default\s*=\s*"?([^"\n]+?)"?\s*$/m.exec(block)?.[1]
}

/**
 * The Pod Identity associations Terraform declares, as `namespace/service_account`: each block or
 * map entry with a `namespace` and, on the next line, a `service_account`, as string literals or
 * `local.<name>` of a string local. (An EKS add-on's association names no namespace: not Helm's.)
 */
export function terraformAssociations(terraform: string): string[] {
  const locals = new Map(
    [...terraform.matchAll(/^\s*(\w+)\s*=\s*"([^"$]*)"\s*$/gm)].map((m): [string, string] => [m[1]!, m[2]!]),
  )
  const value = (expression: string) =>
    expression.startsWith('"')
      ? expression.slice(1, -1)
      : (locals.get(expression.slice('local.'.length)) ?? '?')
  return [
    ...terraform.matchAll(
      /^\s*namespace\s*=\s*("[^"]*"|local\.\w+)\s*\n\s*service_account\s*=\s*("[^"]*"|local\.\w+)/gm,
    ),
  ].map((m) => `${value(m[1]!)}/${value(m[2]!)}`)
}

/**
 * The NodePool and EC2NodeClass against each other and against Terraform: the NodePool's class is
 * in the build; its CPU limit is Terraform's karpenter_cpu_limit; the class's role is the node role
 * Terraform makes (<name>-karpenter-node), its subnets and security groups those Terraform tags
 * karpenter.sh/discovery=<name>, where <name> is `clusterName` (by default, Terraform's `name`);
 * its instances keep IMDSv2 with one hop, as the base nodes do, on encrypted volumes.
 */
export function karpenterProblems(objects: K8sObject[], terraform: string, clusterName?: string): string[] {
  const problems: string[] = []
  const name = clusterName ?? terraformDefault(terraform, 'name')
  const classes = objects.filter((o) => o.kind === 'EC2NodeClass')
  const pools = objects.filter((o) => o.kind === 'NodePool')
  if (classes.length === 0 || pools.length === 0) problems.push('no NodePool or no EC2NodeClass')
  const cpuLimit = terraformDefault(terraform, 'karpenter_cpu_limit')
  for (const pool of pools) {
    const ref = at(pool, 'spec', 'template', 'spec', 'nodeClassRef') as {
      group: string
      kind: string
      name: string
    }
    const target = classes.find((c) => c.metadata.name === ref?.name)
    if (!target || ref.group !== 'karpenter.k8s.aws' || ref.kind !== 'EC2NodeClass')
      problems.push(
        `NodePool ${pool.metadata.name}: its nodeClassRef ${ref?.kind} ${ref?.name} is not in the build`,
      )
    const limit = String(at(pool, 'spec', 'limits', 'cpu'))
    if (Number(limit) !== Number(cpuLimit))
      problems.push(
        `NodePool ${pool.metadata.name}: limits.cpu ${limit}, Terraform's karpenter_cpu_limit ${cpuLimit}`,
      )
  }
  const discovery = /"karpenter\.sh\/discovery"\s*=\s*local\.name/.test(terraform)
  const securityGroup = /key\s*=\s*"karpenter\.sh\/discovery"\s*\n\s*value\s*=\s*local\.name/.test(terraform)
  if (!discovery || !securityGroup)
    problems.push(
      'Terraform does not tag the subnets and the security group karpenter.sh/discovery = local.name',
    )
  const nodeRole = /resource "aws_iam_role" "karpenter_node" \{\s*\n\s*name\s*=\s*("[^"]*")/.exec(
    terraform,
  )?.[1]
  if (nodeRole !== '"${local.name}-karpenter-node"')
    problems.push(`Terraform names the Karpenter node role ${nodeRole}, not "\${local.name}-karpenter-node"`)
  for (const nodeClass of classes) {
    const where = `EC2NodeClass ${nodeClass.metadata.name}`
    const spec = nodeClass.spec as {
      role?: string
      subnetSelectorTerms?: Array<{ tags?: Record<string, string> }>
      securityGroupSelectorTerms?: Array<{ tags?: Record<string, string> }>
      metadataOptions?: { httpTokens?: string; httpPutResponseHopLimit?: number }
      blockDeviceMappings?: Array<{ ebs?: { encrypted?: boolean } }>
    }
    if (spec.role !== `${name}-karpenter-node`)
      problems.push(`${where}: role ${spec.role}, not ${name}-karpenter-node`)
    for (const field of ['subnetSelectorTerms', 'securityGroupSelectorTerms'] as const) {
      const tags = (spec[field] ?? []).map((term) => term.tags?.['karpenter.sh/discovery'])
      if (tags.length === 0 || tags.some((tag) => tag !== name))
        problems.push(`${where}: ${field} select karpenter.sh/discovery [${tags.join(', ')}], not ${name}`)
    }
    if (spec.metadataOptions?.httpTokens !== 'required' || spec.metadataOptions.httpPutResponseHopLimit !== 1)
      problems.push(`${where}: instance metadata other than IMDSv2 with a hop limit of 1`)
    if (!spec.blockDeviceMappings?.length || spec.blockDeviceMappings.some((d) => d.ebs?.encrypted !== true))
      problems.push(`${where}: a volume not encrypted`)
  }
  return problems
}
