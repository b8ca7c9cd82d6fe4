/**
 * The operator's side of a configuration change: replaces, one at a time, the servers whose
 * configuration changed since they were created, each from its own boot volume, and waits for each
 * to say on its console that its new configuration is in place and healthy before the next.
 *
 * Why: `user_data` cannot change on a running Nova server, so Terraform replaces every server whose
 * configuration changed, all in the same apply. The library's instances ignore changes to
 * `user_data` (and to their metadata, which records the digest of the configuration they were
 * created with); `terraform apply` changes everything else, and this rollout the servers.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FAILED_MARKER, READY_MARKER } from '../compute/cloud-config';
import { CONFIG_METADATA_KEY } from '../compute/server-cluster';
import { ROLLOUT_PLAN_FILE, RolloutPlan, RolloutPlanServer } from './rollout-plan';
import { HostingStacksToolError } from '../core/errors';

/** What a command printed and how it ended. */
export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs argv; never throws for a non-zero exit. */
export type CommandRunner = (argv: readonly string[]) => Promise<CommandResult>;

/** Options of {@link runRollout}. */
export interface RolloutOptions {
  /** The synthesized stack directory (`cdktf.out/stacks/<stack>`), holding `cdk.tf.json` and `rollout.json`. */
  readonly stackDir: string;
  /** Only say what would be replaced. @default false */
  readonly dryRun?: boolean;
  /** Replace these host names even if their configuration did not change (a new secret value). @default - none */
  readonly force?: readonly string[];
  /** Replace only these host names (their configuration changed or they are forced). @default - every server */
  readonly only?: readonly string[];
  /** Extra arguments for each `terraform apply` (`-var-file=...`). @default - none */
  readonly applyArgs?: readonly string[];
  /** How long a server may take to print its readiness line. @default 30 */
  readonly readyTimeoutMinutes?: number;
  /** Seconds between console reads. @default 10 */
  readonly pollSeconds?: number;
  /** The Terraform binary. @default 'terraform' */
  readonly terraform?: string;
  /** The OpenStack client (`openstack console log show`). @default 'openstack' */
  readonly openstack?: string;
  /** Runs terraform and the OpenStack client. @default - spawns them, collecting their output */
  readonly run?: CommandRunner;
  /** Waits between console reads. @default - setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** The clock of the readiness timeout, in ms. @default Date.now */
  readonly now?: () => number;
  /** Where progress lines go. @default - standard output */
  readonly log?: (line: string) => void;
}

/** A server of the plan, with what the state says of it. */
export interface RolloutServerStatus extends RolloutPlanServer {
  /** The server's id, when it exists. */
  readonly id?: string;
  /** The digest it was created with (its metadata), when it exists and has one. */
  readonly appliedDigest?: string;
  /** `absent` (its count is below it), `current`, `changed` or `forced`. */
  readonly status: 'absent' | 'current' | 'changed' | 'forced';
}

/** What a rollout did. */
export interface RolloutResult {
  readonly servers: readonly RolloutServerStatus[];
  /** Host names replaced and ready, in order. */
  readonly replaced: readonly string[];
  /** The server that failed (the rollout stopped there), with why. */
  readonly failed?: { readonly hostname: string; readonly reason: string };
  /** Host names that still wait for their replacement. */
  readonly remaining: readonly string[];
}

/**
 * An error of the rollout's inputs or tools (missing plan, unknown host name, Terraform failing); a
 * {@link HostingStacksError} naming `hosting-stacks-rollout`.
 */
export class RolloutError extends HostingStacksToolError {
  constructor(message: string) {
    super('hosting-stacks-rollout', 'rollout', message);
    this.name = 'RolloutError';
  }
}

interface StateResource {
  readonly address?: string;
  readonly type?: string;
  readonly values?: { readonly id?: string; readonly region?: string; readonly metadata?: Record<string, string> };
}

/** Every instance of `terraform show -json` output, by address. */
export function instancesOfState(showJson: string): Map<string, { id?: string; region?: string; metadata: Record<string, string> }> {
  let state: { values?: { root_module?: { resources?: StateResource[]; child_modules?: unknown[] } } };
  try {
    state = JSON.parse(showJson) as typeof state;
  } catch (e) {
    throw new RolloutError(`'terraform show -json' did not print JSON: ${(e as Error).message}`);
  }
  const out = new Map<string, { id?: string; region?: string; metadata: Record<string, string> }>();
  for (const r of state.values?.root_module?.resources ?? []) {
    if (r.type !== 'openstack_compute_instance_v2' || !r.address) continue;
    // The region the provider created it in: a stack whose sites are regions has servers in several.
    out.set(r.address, { id: r.values?.id, region: typeof r.values?.region === 'string' && r.values.region !== '' ? r.values.region : undefined, metadata: r.values?.metadata ?? {} });
  }
  return out;
}

/** Reads `rollout.json` of a synthesized stack. */
export function readRolloutPlan(stackDir: string): RolloutPlan {
  const file = join(stackDir, ROLLOUT_PLAN_FILE);
  if (!existsSync(file)) throw new RolloutError(`${file} does not exist: give the directory of a stack synthesized by hosting-stacks (cdktf.out/stacks/<stack>)`);
  const plan = JSON.parse(readFileSync(file, 'utf8')) as RolloutPlan;
  if (!Array.isArray(plan.servers)) throw new RolloutError(`${file} has no 'servers' list`);
  return plan;
}

/** The plan's servers with their state: which exist, which changed. */
export function rolloutStatus(plan: RolloutPlan, instances: Map<string, { id?: string; metadata: Record<string, string> }>, force: readonly string[] = []): RolloutServerStatus[] {
  const known = new Set(plan.servers.map((s) => s.hostname));
  for (const h of force) if (!known.has(h)) throw new RolloutError(`'${h}' is not a server of stack ${plan.stack}; its servers are ${[...known].join(', ')}`);
  return plan.servers.map((s) => {
    const inst = instances.get(s.address);
    if (!inst) return { ...s, status: 'absent' as const };
    const appliedDigest = inst.metadata[CONFIG_METADATA_KEY];
    const status = appliedDigest !== s.configDigest ? ('changed' as const) : force.includes(s.hostname) ? ('forced' as const) : ('current' as const);
    return { ...s, id: inst.id, appliedDigest, status };
  });
}

/** What a server's console says of the configuration `digest`. */
export function readinessOf(consoleText: string, hostname: string, digest: string): { state: 'ready' | 'failed' | 'booting'; detail?: string } {
  for (const line of consoleText.split(/\r?\n/)) {
    if (line.includes(`${READY_MARKER} ${hostname} ${digest}`)) return { state: 'ready' };
    const failed = line.indexOf(`${FAILED_MARKER} ${hostname} ${digest}`);
    if (failed >= 0) return { state: 'failed', detail: line.slice(failed).trim() };
  }
  // cloud-init's closing line: its final stage ended without the readiness line (a step failed).
  const finished = /Cloud-init v\. \S+ finished at .*/.exec(consoleText);
  if (finished) return { state: 'failed', detail: `cloud-init finished without '${READY_MARKER}': a boot step failed (${finished[0].trim()})` };
  return { state: 'booting' };
}

/** Runs a command, collecting its output. */
export const spawnRunner: CommandRunner = (argv) =>
  new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (e) => resolve({ code: 127, stdout, stderr: `${stderr}${e.message}\n` }));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });

/**
 * Replaces the servers whose configuration changed (and the forced ones), one at a time in the
 * plan's order: `terraform apply -replace=<address>`, then the server's console until it prints its
 * readiness line for the new digest. Stops at the first failure, leaving the rest as they are.
 */
export async function runRollout(options: RolloutOptions): Promise<RolloutResult> {
  const run = options.run ?? spawnRunner;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = options.now ?? Date.now;
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const terraform = options.terraform ?? 'terraform';
  const openstack = options.openstack ?? 'openstack';
  const timeoutMs = (options.readyTimeoutMinutes ?? 30) * 60_000;
  const pollMs = (options.pollSeconds ?? 10) * 1000;
  if (!(timeoutMs > 0) || !(pollMs > 0)) throw new RolloutError('the readiness timeout and the poll interval must be greater than 0');
  const plan = readRolloutPlan(options.stackDir);
  const tf = async (...args: string[]): Promise<string> => {
    const argv = [terraform, `-chdir=${options.stackDir}`, ...args];
    const r = await run(argv);
    if (r.code !== 0) throw new RolloutError(`${argv.join(' ')} exited with ${r.code}:\n${(r.stderr || r.stdout).trim()}`);
    return r.stdout;
  };

  const only = options.only ?? [];
  for (const h of only) if (!plan.servers.some((s) => s.hostname === h)) throw new RolloutError(`'${h}' is not a server of stack ${plan.stack}`);
  const servers = rolloutStatus(plan, instancesOfState(await tf('show', '-json')), options.force ?? []);
  const todo = servers.filter((s) => (s.status === 'changed' || s.status === 'forced') && (only.length === 0 || only.includes(s.hostname)));
  for (const s of servers) log(`${s.status.padEnd(8)} ${s.hostname.padEnd(24)} ${s.address}`);
  if (options.dryRun || todo.length === 0) {
    log(todo.length === 0 ? 'nothing to replace' : `${todo.length} server(s) would be replaced, one at a time, in the order above`);
    return { servers, replaced: [], remaining: todo.map((s) => s.hostname) };
  }

  const replaced: string[] = [];
  for (const [i, s] of todo.entries()) {
    const remaining = todo.slice(i).map((t) => t.hostname);
    const stop = (reason: string): RolloutResult => {
      log(`stopped at ${s.hostname}: ${reason}`);
      log(`not replaced: ${remaining.slice(1).join(', ') || 'none'}`);
      return { servers, replaced, failed: { hostname: s.hostname, reason }, remaining };
    };
    log(`replacing ${s.hostname} (${i + 1}/${todo.length}) from its boot volume`);
    try {
      await tf('apply', '-auto-approve', '-input=false', `-replace=${s.address}`, ...(options.applyArgs ?? []));
    } catch (e) {
      return stop((e as Error).message);
    }
    const after = instancesOfState(await tf('show', '-json')).get(s.address);
    if (!after?.id) return stop(`${s.address} is not in the state after the apply`);
    if (after.metadata[CONFIG_METADATA_KEY] !== s.configDigest) {
      return stop(`${s.address} was created with configuration ${after.metadata[CONFIG_METADATA_KEY] ?? '(none)'}, not ${s.configDigest}: synthesize again and rerun`);
    }
    const deadline = now() + timeoutMs;
    for (;;) {
      const consoleLog = await run([openstack, ...(after.region ? ['--os-region-name', after.region] : []), 'console', 'log', 'show', after.id]);
      if (consoleLog.code === 127) return stop(`${openstack} could not run (${consoleLog.stderr.trim()}): install python3-openstackclient and export the OS_* variables`);
      const readiness = consoleLog.code === 0 ? readinessOf(consoleLog.stdout, s.hostname, s.configDigest) : { state: 'booting' as const };
      if (readiness.state === 'ready') break;
      if (readiness.state === 'failed') return stop(readiness.detail ?? 'failed');
      if (now() >= deadline) return stop(`no '${READY_MARKER}' line on its console within ${timeoutMs / 60_000} min`);
      await sleep(pollMs);
    }
    replaced.push(s.hostname);
    log(`${s.hostname} is ready with its new configuration`);
  }
  return { servers, replaced, remaining: [] };
}
