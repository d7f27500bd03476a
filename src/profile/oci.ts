import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { environmentError } from '../errors.js';
import { SCMP_ARCH } from './arch-view.js';
import { toDockerProfile, type DockerSyscallArg, type SeccompAction } from './docker.js';
import type { ProfilePlan } from './plan.js';

/**
 * The OCI runtime-spec `linux.seccomp` object: what crun and runc read from a bundle's
 * config.json. Docker's profile format is this plus Docker-only fields (archMap, comment,
 * includes/excludes), so the OCI object is the Docker rendering of the same plan without them.
 */
export interface OciSeccomp {
  defaultAction: SeccompAction;
  defaultErrnoRet?: number;
  architectures?: string[];
  flags?: string[];
  listenerPath?: string;
  listenerMetadata?: string;
  syscalls?: OciSyscall[];
}

export interface OciSyscall {
  names: string[];
  action: SeccompAction;
  errnoRet?: number;
  args?: DockerSyscallArg[];
}

/**
 * The plan as an OCI seccomp object. OCI has no per-architecture rules: a name allowed on one
 * architecture only (aarch64's openat for x86_64's open) is allowed on all of `architectures`.
 */
export function toOciSeccomp(plan: ProfilePlan): OciSeccomp {
  const docker = toDockerProfile(plan);
  const syscalls: OciSyscall[] = (docker.syscalls ?? []).map((rule) => {
    const out: OciSyscall = { names: [...rule.names], action: rule.action };
    if (rule.errnoRet !== undefined) out.errnoRet = rule.errnoRet;
    if (rule.args && rule.args.length > 0) out.args = rule.args.map((arg) => ({ ...arg }));
    return out;
  });
  const oci: OciSeccomp = { defaultAction: docker.defaultAction };
  if (docker.defaultErrnoRet !== undefined) oci.defaultErrnoRet = docker.defaultErrnoRet;
  oci.architectures = plan.architectures.map((arch) => SCMP_ARCH[arch]);
  oci.syscalls = syscalls;
  return oci;
}

/** Stable, pretty JSON with a trailing newline. */
export function renderOciSeccomp(plan: ProfilePlan): string {
  return JSON.stringify(toOciSeccomp(plan), null, 2) + '\n';
}

// ---------------------------------------------------------------------------------------------
// Validation against the runtime-spec's own JSON schema (vendored in data/oci-runtime-spec/)

export interface SchemaCheck {
  valid: boolean;
  /** one line per problem: `<json pointer> <message>` */
  errors: string[];
}

const SCHEMA_FILES = ['defs.json', 'defs-linux.json', 'config-linux.json'] as const;

/** `data/oci-runtime-spec` of this package, from src/ as well as from the compiled dist/src/. */
export function ociSchemaDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 6; depth++) {
    const candidate = join(dir, 'data', 'oci-runtime-spec');
    if (existsSync(join(candidate, 'config-linux.json'))) return candidate;
    dir = dirname(dir);
  }
  throw environmentError('cannot find the data/oci-runtime-spec folder of seccomplete');
}

let compiled: ValidateFunction | undefined;

function seccompValidator(): ValidateFunction {
  if (compiled) return compiled;
  const dir = ociSchemaDir();
  // The files refer to each other by file name ("defs-linux.json#/definitions/Syscall"), so each
  // is registered under its file name. They carry no $schema; ajv's default draft reads them.
  // Not strict: config-linux.json puts "type" beside "$ref" (personality), which draft-07 ignores.
  const ajv = new Ajv({ strict: false, allErrors: true });
  for (const file of SCHEMA_FILES) ajv.addSchema(JSON.parse(readFileSync(join(dir, file), 'utf8')) as object, file);
  compiled = ajv.compile({ $ref: 'config-linux.json#/linux/properties/seccomp' });
  return compiled;
}

/** Checks a `linux.seccomp` object against the runtime-spec schema. */
export function validateOciSeccomp(value: unknown): SchemaCheck {
  const validate = seccompValidator();
  if (validate(value)) return { valid: true, errors: [] };
  return { valid: false, errors: (validate.errors ?? []).map(describeError) };
}

function describeError(error: ErrorObject): string {
  const where = error.instancePath === '' ? 'seccomp' : `seccomp${error.instancePath}`;
  const allowed = error.keyword === 'enum' ? ` (${(error.params as { allowedValues: unknown[] }).allowedValues.join(', ')})` : '';
  return `${where} ${error.message ?? error.keyword}${allowed}`;
}
