import path from 'node:path';
import { stringify } from 'yaml';
import { archAdditionLines } from './arch-view.js';
import { toOciSeccomp, type OciSyscall } from './oci.js';
import type { ProfilePlan } from './plan.js';

/**
 * Kubernetes: a SeccompProfile object of the Security Profiles Operator (SPO), and, for
 * clusters without the operator, the Docker-style JSON the kubelet loads from its seccomp
 * directory plus the Pod securityContext that points at it.
 */

export const SPO_API_VERSION = 'security-profiles-operator.x-k8s.io/v1beta1';
/** where the kubelet looks for `localhostProfile` files */
export const KUBELET_SECCOMP_DIR = '/var/lib/kubelet/seccomp';

/** The SeccompProfile custom resource, as far as we write it (SPO's api/seccompprofile/v1beta1 types). */
export interface SpoSeccompProfile {
  apiVersion: typeof SPO_API_VERSION;
  kind: 'SeccompProfile';
  metadata: { name: string };
  spec: {
    defaultAction: OciSyscall['action'];
    architectures: string[];
    syscalls: OciSyscall[];
  };
}

/**
 * The plan as a SeccompProfile. The CRD's spec is the OCI seccomp object without
 * `defaultErrnoRet`: the runtimes answer SCMP_ACT_ERRNO without a number with EPERM,
 * which is the plan's default errno.
 */
export function toSpoSeccompProfile(plan: ProfilePlan, name: string): SpoSeccompProfile {
  const oci = toOciSeccomp(plan);
  return {
    apiVersion: SPO_API_VERSION,
    kind: 'SeccompProfile',
    metadata: { name },
    spec: {
      defaultAction: oci.defaultAction,
      architectures: oci.architectures ?? [],
      syscalls: oci.syscalls ?? [],
    },
  };
}

export function renderSpoSeccompProfile(plan: ProfilePlan, name: string, command: readonly string[]): string {
  const header = [
    `seccomplete: SeccompProfile for the Security Profiles Operator (${SPO_API_VERSION})`,
    `target: ${command.join(' ')}`,
    `architectures: ${plan.architectures.join(', ')}`,
    ...archAdditionLines(plan).map((line) => `${line} (SeccompProfile rules hold on every architecture listed)`),
    'every call not listed fails with EPERM (SCMP_ACT_ERRNO without errnoRet; the CRD has no defaultErrnoRet)',
    'kubectl apply -n NAMESPACE -f seccompprofile.yaml; the operator installs it on every node, and',
    `a Pod uses it with securityContext.seccompProfile {type: Localhost, localhostProfile: operator/NAMESPACE/${name}.json}`,
  ];
  return comments(header) + stringify(toSpoSeccompProfile(plan, name), { lineWidth: 0 });
}

/** The Pod (or container) securityContext that makes the kubelet load `<name>.json` from its seccomp directory. */
export function renderPodSnippet(name: string, localhostFile: string): string {
  const header = [
    `seccomplete: Pod securityContext for the seccomp profile ${name}`,
    `copy ${localhostFile} to ${KUBELET_SECCOMP_DIR}/${name}.json on every node that may run the Pod,`,
    'then merge this into the Pod spec (or put the securityContext on a single container).',
    `With the Security Profiles Operator use localhostProfile: operator/NAMESPACE/${name}.json instead.`,
  ];
  const snippet = { spec: { securityContext: { seccompProfile: { type: 'Localhost', localhostProfile: `${name}.json` } } } };
  return comments(header) + stringify(snippet);
}

const comments = (lines: readonly string[]): string => lines.map((line) => `# ${line}\n`).join('');

const INTERPRETERS = /^(node|nodejs|deno|bun|python[0-9.]*|pypy[0-9.]*|ruby|perl|php|java|bash|sh|dash|zsh|env)$/;
const GENERIC = new Set(['index', 'main', 'server', 'app', 'start', 'run', 'cli', 'bin', 'serve']);

/**
 * A Kubernetes object name (and kubelet file name) for the target: the program, or the
 * script an interpreter runs, without extension; a generic script name (server.mjs,
 * main.py) is replaced by its directory's name. Lower-case DNS label, at most 63 characters.
 */
export function profileNameFor(command: readonly string[]): string {
  let program = command[0] ?? '';
  if (INTERPRETERS.test(path.basename(program))) {
    const script = command.slice(1).find((arg) => !arg.startsWith('-') && !arg.includes('='));
    if (script) program = script;
  }
  let base = path.basename(program).replace(/\.[^.]*$/, '');
  if (GENERIC.has(base.toLowerCase())) {
    const parent = path.basename(path.dirname(program));
    if (parent && parent !== '.' && parent !== '/') base = parent;
  }
  const name = base
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return name || 'seccomplete-profile';
}
