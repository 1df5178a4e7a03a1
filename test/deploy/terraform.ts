/**
 * Terraform, run offline: the configuration is copied into a temporary folder (so nothing lands in
 * the checkout: no .terraform, no lock file), with a CLI configuration that installs the AWS
 * provider from the machine's local mirror when there is one (/opt/tf-plugins here; elsewhere
 * the public registry).
 */
import { execFile } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'

const execFileAsync = promisify(execFile)
const MIRROR = '/opt/tf-plugins'

export interface TerraformResult {
  code: number
  output: string
}

export interface Terraform {
  /** The copy of deploy/terraform that the commands run in. */
  dir: string
  /** Runs `terraform <args>` in `module` (a folder under the copy, '.' for the root). */
  run(module: string, args: string[]): Promise<TerraformResult>
  close(): void
}

/** A copy of `source` to run Terraform in, with its own CLI configuration and data folders. */
export function terraformCopy(source: string): Terraform {
  const home = mkdtempSync(path.join(tmpdir(), 'convoy-terraform-'))
  const dir = path.join(home, 'terraform')
  cpSync(source, dir, {
    recursive: true,
    // A user's own files stay behind (their variables, state, backend); the tests' variables come.
    filter: (file) =>
      !/(^|\/)(\.terraform|\.terraform\.lock\.hcl|terraform\.tfstate(\..*)?|backend\.hcl)$/.test(file) &&
      !(file.endsWith('.tfvars') && !/\/tests\/[^/]+$/.test(file)),
  })
  const cliConfig = path.join(home, 'terraform.rc')
  writeFileSync(
    cliConfig,
    existsSync(MIRROR)
      ? `provider_installation {\n  filesystem_mirror {\n    path = "${MIRROR}"\n  }\n}\n`
      : '',
  )
  return {
    dir,
    async run(module, args) {
      const data = path.join(home, 'data', module.replaceAll('/', '_'))
      mkdirSync(data, { recursive: true })
      try {
        const { stdout, stderr } = await execFileAsync('terraform', args, {
          cwd: path.join(dir, module),
          env: {
            ...process.env,
            TF_CLI_CONFIG_FILE: cliConfig,
            TF_DATA_DIR: data,
            TF_IN_AUTOMATION: '1',
            TF_INPUT: '0',
            CHECKPOINT_DISABLE: '1',
            // No credentials reach the tests: the mock provider needs none.
            AWS_ACCESS_KEY_ID: '',
            AWS_SECRET_ACCESS_KEY: '',
            AWS_PROFILE: '',
            AWS_EC2_METADATA_DISABLED: 'true',
          },
          timeout: 5 * 60_000,
          maxBuffer: 64 * 1024 * 1024,
        })
        return { code: 0, output: stdout + stderr }
      } catch (error) {
        const failed = error as { code?: number | string; stdout?: string; stderr?: string; message: string }
        return {
          code: typeof failed.code === 'number' ? failed.code : 1,
          output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` || failed.message,
        }
      }
    },
    close() {
      rmSync(home, { recursive: true, force: true })
    },
  }
}

/** A string as an HCL string literal (JSON's escapes, and no template sequences). */
export const hcl = (value: unknown): string =>
  JSON.stringify(value).replaceAll('${', '$${').replaceAll('%{', '%%{')
