/**
 * The lab: a local data plane of OpenStack for one synthesized stack. It reads the stack's
 * `cdk.tf.json` (exactly what Terraform would create, with the variables' defaults and generated test
 * values for the required ones), builds the networks as Neutron realises them (bridges, routers,
 * floating IPs, port security and security groups per port, see network.ts), runs an amphora for each
 * Octavia load balancer, boots every server as a Debian 12 container under systemd and cloud-init
 * from exactly its user_data, then checks each server and the stack's declared flows, and reports.
 *
 * ```ts
 * import { runLab } from 'hosting-stacks/lab';
 * const report = await runLab('cdktf.out/stacks/popgom');
 * console.log(formatLabReport(report));
 * ```
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Amphora } from './amphora';
import { LabBootSlots } from './boot-slots';
import { planLabApply } from './lab-apply';
import { LabMetadataService } from './metadata-service';
import { ensureLabImage } from './image';
import { downloadsOf, hostOf, LabInternet, LabInternetPost, outboundApisOf } from './internet';
import { cidrContains, isSingleAddress } from './ipv4-util';
import { missingModule, serverLimits, ServerLimits } from './kernel-limits';
import { LabPortModel, LabSecurityGroupRuleModel, LabServerModel, LabStackModel } from './model';
import { LabNetwork } from './network';
import { ensureLabRepo, packagesOfUserData } from './package-repo';
import { execInNamespace, httpGet, HttpProbe, tcpConnects, tcpReach } from './probes';
import { LabServer } from './server';
import { reserveInotifyInstances } from './host-util';
import { HostingStacksToolError } from '../core/errors';
import { Figure, FigureLog } from '../core/figures';
import { Progress } from '../core/progress';
import { readStackModel } from './stack-model';
import { ON_DEMAND_LISTENER_NOTE } from '../core/connections';

/** Options of {@link runLab}. */
export interface LabOptions {
  /** Values for the stack's variables (others get their default or a generated test value). @default - generated */
  readonly variables?: Record<string, unknown>;
  /** Servers booted at once by this lab alone (2 cores, 24 GB: about 4); give `bootSlots` instead to share them. @default 4 */
  readonly concurrency?: number;
  /**
   * Boot slots shared with other labs run at once in this process: their servers together boot at
   * most `bootSlots.size` at a time, first asked first served. Not with `concurrency`.
   * @default - slots of this lab's own, `concurrency` of them
   */
  readonly bootSlots?: LabBootSlots;
  /** How long one server may take from start to cloud-init done (package installs on 2 loaded cores are slow). @default 900000 */
  readonly bootTimeoutMs?: number;

  /** Leave everything running for inspection; `LabRun.destroy()` removes it later. @default false */
  readonly keep?: boolean;
  /**
   * Progress lines: what is made, each server as it boots and once it is inspected
   * (`[lab popgom] 3/8 servers booted; web-1 clean, cloud-init done in 42.1 s (97 s)`), each group of
   * checks as it starts. @default - none
   */
  readonly log?: (line: string) => void;
  /** Folder for the lab's work files. @default - a new folder under the OS temp dir */
  readonly workDir?: string;
  /**
   * A step run once every server has booted and before the checks, as an operator or a pipeline
   * would after a deploy (push the application with the stack's deployment server, load data).
   * Its checks join the report; an exception fails the run (the lab is removed). @default - none
   */
  readonly afterBoot?: (stack: LabBootedStack) => Promise<readonly LabCheck[]>;
  /**
   * Stops the run (Ctrl-C in `npm run lab`): no server starts after it, those running are stopped,
   * everything the run made is removed, and the run rejects with a {@link LabAbortedError}.
   * @default - runs to its end
   */
  readonly signal?: AbortSignal;
}

/** A lab run stopped through {@link LabOptions.signal}; what it had made is removed. */
export class LabAbortedError extends HostingStacksToolError {
  constructor(stack: string, during: string) {
    super('runLab', 'signal', `lab ${stack}: stopped ${during}; every server, amphora and namespace it had made is removed`);
    this.name = 'LabAbortedError';
  }
}

/** What {@link LabOptions.afterBoot} may do with the booted stack. */
export interface LabBootedStack {
  /** The stack as the lab realises it now (after the last {@link apply}). */
  readonly model: LabStackModel;
  /**
   * Applies new values of the stack's variables as `terraform apply` would (see lab-apply.ts):
   * servers whose count index appears boot from their own user_data (resolved once cloud-init is
   * done on each, with their reports), those whose index disappears stop, and ports, security group
   * membership, balancer members (the amphora reloads) and in-place metadata follow. Values not given
   * keep the ones in force. Anything but a count change is refused ({@link LabApplyError}) and
   * nothing is changed. The checks after `afterBoot` run on the stack as applied.
   */
  apply(variables: Readonly<Record<string, unknown>>): Promise<LabApplyResult>;
  /**
   * Runs `argv` as root on the server named `name` (its hostname), bounded in time (default 60 s).
   * Never throws for a non-zero status; throws for a server the stack does not have.
   */
  exec(name: string, argv: readonly string[], options?: { readonly input?: string; readonly timeoutMs?: number }): Promise<{ readonly status: number | null; readonly stdout: string; readonly stderr: string }>;
  /** One HTTP(S) GET from the lab's internet client (certificates not verified), bounded in time (default 10 s). */
  fromInternet(url: string, timeoutSeconds?: number): Promise<HttpProbe>;
  /**
   * What the stack's servers POSTed so far to the APIs outside it (the scaling hook's workflow
   * dispatch), as the lab's stand-in received them; empty when no server calls one.
   */
  internetPosts(): readonly LabInternetPost[];
  /**
   * Runs a host binary (`argv`) in the lab's internet client namespace, as a customer's or a
   * supplier's machine would (an SFTP upload), killed after `timeoutMs` (default 60 s). Never throws
   * for a non-zero status.
   */
  execFromInternet(argv: readonly string[], options?: { readonly timeoutMs?: number }): Promise<{ readonly status: number | null; readonly stdout: string; readonly stderr: string }>;
  /**
   * Pulls the cables of the server named `name` (`connected` false): its ports go down, as a
   * crashed host or a lost datacenter looks to its peers, while it keeps running ({@link exec}
   * still reaches it); `connected` true plugs them back.
   */
  setConnected(name: string, connected: boolean): Promise<void>;
  /**
   * Runs `fn` while no server boots, in this lab or in any lab sharing its boot slots: it waits for
   * the boots in flight to finish and holds back new ones until `fn` settles, for a measurement
   * (latency under load) that other servers' package installs would skew. Never {@link apply} in it.
   */
  quietly<T>(fn: () => Promise<T>): Promise<T>;
}

/** What {@link LabBootedStack.apply} changed. */
export interface LabApplyResult {
  /** Names of the servers created, in the stack's order. */
  readonly added: readonly string[];
  /** Names of the servers deleted. */
  readonly removed: readonly string[];
  /** Names of the running servers whose metadata changed in place. */
  readonly metadataUpdated: readonly string[];
  /** Names of the load balancers whose members changed. */
  readonly membersChanged: readonly string[];
  /** The created servers after boot (they join the lab's report). */
  readonly servers: readonly LabServerReport[];
}

/** The outcome of one check. */
export interface LabCheck {
  /** `server`, `entry`, `connection`, `forbidden`, `member`, `monitoring`. */
  readonly kind: string;
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
  /**
   * Why a failed check proves nothing about the stack: it reached a server the lab cannot make
   * clean ({@link LabServerReport.limitedBy}). @default - the check stands as it is
   */
  readonly limit?: string;
}

/** One server's state after boot. */
export interface LabServerReport {
  readonly key: string;
  readonly name: string;
  /** cloud-init's final status (`done`, `error`, `degraded done`, `timeout`). */
  readonly cloudInit: string;
  readonly cloudInitErrors: readonly string[];
  /** Failed systemd units, those the lab's kernel limits explain excluded. */
  readonly failedUnits: readonly string[];
  /** Failed units the kernel limits explain, with the reason. */
  readonly limitedUnits: readonly { unit: string; reason: string }[];
  /** The last journal lines of each failed unit, and cloud-init's output when it failed. */
  readonly logs: Readonly<Record<string, string>>;
  /** Ports its security groups open on which nothing listens (`tcp/8080`). */
  readonly notListening: readonly string[];
  readonly bootSeconds?: number;
  /** Clean: cloud-init done without error, no failed unit, every opened port served. */
  readonly clean: boolean;
  /** What the lab did differently on this server. */
  readonly adaptations: readonly string[];
  /**
   * Why the lab cannot make this server clean, when a limit of the lab and not the stack stops it:
   * it downloads a release from outside the Debian archive at boot, the lab answered with a stand-in,
   * and the server refused it by its checksum and stopped its setup, as it must (the `download`
   * check). What that release would run there is not proven by the lab. @default - no such limit
   */
  readonly limitedBy?: string;
}

/** The lab's report for one stack. */
export interface LabReport {
  readonly stack: string;
  readonly servers: readonly LabServerReport[];
  readonly checks: readonly LabCheck[];
  /** What the lab could not realise or prove, said rather than skipped. */
  readonly limits: readonly string[];
  readonly wallSeconds: number;
  /** The `FIGURE` line. */
  readonly figure: string;
  /** The numbers of the `FIGURE` line, for a figures file ({@link printLabReport}). */
  readonly figures: readonly Figure[];
}

/** A lab that is up (kept with `keep: true`). */
export interface LabRun {
  readonly report: LabReport;
  readonly model: LabStackModel;
  /** Stops every server and amphora and removes every namespace of this run. */
  destroy(): Promise<void>;
}

/** How long a server's opened ports may take to be served after cloud-init is done. */
const LISTEN_GRACE_MS = 90_000;

/** Boots the stack in `stackDir` in the lab, checks it, reports, and (unless `keep`) tears it down. */
export async function runLab(stackDir: string, options: LabOptions = {}): Promise<LabRun> {
  if (options.bootSlots !== undefined && options.concurrency !== undefined) {
    throw new HostingStacksToolError('runLab', 'concurrency', `runLab: 'concurrency' (${options.concurrency}) and 'bootSlots' are both given: give 'bootSlots' to share slots with other labs, or 'concurrency' for slots of this lab's own`);
  }
  const slots = options.bootSlots ?? new LabBootSlots(options.concurrency ?? 4);
  const started = Date.now();
  const log = options.log ?? (() => undefined);
  let model = readStackModel(stackDir, { variables: options.variables });
  let applied: Readonly<Record<string, unknown>> = { ...(options.variables ?? {}) };
  const stack = model.stackName || basename(stackDir);
  const labId = Math.random().toString(36).slice(2, 6).padEnd(4, '0');
  const workDir = options.workDir ?? mkdtempSync(join(tmpdir(), `hs-lab-${stack}-`));
  mkdirSync(workDir, { recursive: true });
  const limits: string[] = model.unrealised.map((u) => `${u.key}: ${u.reason}`);
  const servers = new Map<string, LabServer>();
  const amphorae: Amphora[] = [];
  let network: LabNetwork | undefined;
  let internet: LabInternet | undefined;
  let metadata: LabMetadataService | undefined;
  let inotify: { readonly note?: string; release(): void } | undefined;

  let destroying: Promise<void> | undefined;
  const destroy = (): Promise<void> => destroying ??= (async () => {
    await Promise.allSettled([...servers.values()].map((s) => s.stop()));
    await Promise.allSettled(amphorae.map((a) => a.stop()));
    if (internet) await internet.stop();
    if (metadata) await metadata.stop();
    if (network) await network.destroy();
    if (!options.workDir) rmSync(workDir, { recursive: true, force: true });
    inotify?.release();
  })();

  // Stopped from outside: the servers stop at once (their inspection sees it), nothing new starts,
  // and the run throws at its next step; its catch removes the rest.
  const signal = options.signal;
  const stopServers = (): void => {
    log(`[lab ${stack}] stopping: the run was aborted`);
    for (const s of servers.values()) void s.stop();
  };
  const throwIfAborted = (during: string): void => {
    if (signal?.aborted) throw new LabAbortedError(stack, during);
  };
  signal?.addEventListener('abort', stopServers, { once: true });

  try {
    throwIfAborted('before it started');
    log(`[lab ${stack}] ${model.servers.length} servers, ${model.ports.length} ports, ${model.loadBalancers.length} load balancers`);
    inotify = reserveInotifyInstances(model.servers.length);
    if (inotify.note) {
      limits.push(inotify.note);
      log(`[lab ${stack}] ${inotify.note}`);
    }
    const image = await ensureLabImage({ log });
    const packages = [...new Set(model.servers.flatMap((s) => packagesOfUserData(s.userData)))].sort();
    const repo = await ensureLabRepo(image, packages, { log });
    network = await LabNetwork.create(model, { labId });
    const net = network;
    log(`[lab ${stack}] network up (lab ${labId})`);
    metadata = await LabMetadataService.start(model, { routerNamespaces: [...net.routers.values()].map((r) => r.namespace), workDir: join(workDir, 'metadata') });

    for (const lb of model.loadBalancers) {
      const dir = join(workDir, `amphora-${amphorae.length + 1}`);
      mkdirSync(dir, { recursive: true });
      amphorae.push(await Amphora.start(lb, { namespace: net.namespaceOf(lb.key), workDir: dir }));
    }

    // Downloads from outside the Debian archive and the APIs servers call: the lab's stand-in answers them (internet.ts).
    const downloads = new Map(model.servers.map((s) => [s.key, downloadsOf(s)]));
    const apis = new Map(model.servers.map((s) => [s.key, outboundApisOf(s)]));
    const outsideHosts = [...new Set([...downloads.values(), ...apis.values()].flat().map(hostOf))];
    if (outsideHosts.length) {
      internet = await LabInternet.start({ namespace: net.clientNamespace, address: model.external.clientAddress, hosts: outsideHosts, workDir: join(workDir, 'internet') });
    }
    const limitsByServer = new Map<string, ServerLimits>(model.servers.map((s) => {
      const lim = serverLimits(s);
      const hosts = [...new Set([...downloads.get(s.key)!, ...apis.get(s.key)!].map(hostOf))];
      return [s.key, hosts.length && internet ? { ...lim, adaptations: [...lim.adaptations, ...internet.adaptations(image, hosts)] } : lim];
    }));
    let booted = 0;
    // Each server inspected is a step of the run's progress (a boot takes tens of seconds: every one is printed).
    const progress = new Progress(`lab ${stack}`, { total: model.servers.length, write: log, quietMs: 0 });
    let inspected = 0;
    const bootAndInspect = async (server: LabServerModel): Promise<LabServerReport> => {
      const lim = limitsByServer.get(server.key)!;
      const n = ++booted;
      const dir = join(workDir, `server-${n}`);
      mkdirSync(dir, { recursive: true });
      throwIfAborted(`before ${server.name} booted`);
      log(`[lab ${stack}] boot ${server.name}`);
      const container = await LabServer.boot({
        image, repo, server, netns: net.namespaceOf(server.key), workDir: dir,
        machineName: `hs-${labId}-${n}`, log,
        extraFiles: Object.fromEntries(lim.adaptations.map((a) => [a.path, a.content])),
      });
      servers.set(server.key, container);
      if (signal?.aborted) await container.stop();
      const report = await inspectServer(model, server, container, lim, options.bootTimeoutMs ?? 900_000);
      progress.counted(++inspected, `servers booted; ${server.name} ${report.clean ? 'clean' : 'NOT clean'}, cloud-init ${report.cloudInit} in ${report.bootSeconds?.toFixed(1) ?? '?'} s`);
      return report;
    };
    const reports = await mapInSlots(model.servers, slots, bootAndInspect);
    throwIfAborted('while its servers booted');

    /** A count change, applied as Terraform would (lab-apply.ts). */
    const apply = async (variables: Readonly<Record<string, unknown>>): Promise<LabApplyResult> => {
      const values = { ...applied, ...variables };
      const plan = planLabApply(model, readStackModel(stackDir, { variables: values }));
      const unknownPackages = plan.added.flatMap((s) => packagesOfUserData(s.userData)).filter((p) => !packages.includes(p));
      if (unknownPackages.length > 0) throw new Error(`lab ${stack}: apply: new servers need packages the lab's repository was not built with: ${[...new Set(unknownPackages)].join(', ')}`);
      const names = (keys: readonly string[], from: LabStackModel): string[] => keys.map((k) => from.servers.find((s) => s.key === k)?.name ?? k);
      log(`[lab ${stack}] apply ${JSON.stringify(variables)}: create ${plan.added.map((s) => s.name).join(', ') || 'none'}, delete ${plan.removed.map((s) => s.name).join(', ') || 'none'}`);
      for (const s of plan.removed) {
        await servers.get(s.key)?.stop();
        servers.delete(s.key);
        const at = reports.findIndex((r) => r.key === s.key);
        if (at >= 0) reports.splice(at, 1);
      }
      await net.applyServers(plan.applied, plan.added.map((s) => s.key), plan.removed.map((s) => s.key));
      const before = model;
      model = plan.applied;
      applied = values;
      metadata!.update(model);
      for (const key of plan.membersChanged) {
        await amphorae.find((a) => a.lb.key === key)!.reload(model.loadBalancers.find((lb) => lb.key === key)!);
      }
      for (const s of plan.added) {
        const down = downloadsOf(s);
        const called = outboundApisOf(s);
        if ([...down, ...called].some((u) => !internet || !outsideHosts.includes(hostOf(u)))) throw new Error(`lab ${stack}: apply: ${s.name} reaches a host outside the stack the lab's internet was not started for`);
        downloads.set(s.key, down);
        const lim = serverLimits(s);
        const hosts = [...new Set([...down, ...called].map(hostOf))];
        limitsByServer.set(s.key, hosts.length && internet ? { ...lim, adaptations: [...lim.adaptations, ...internet.adaptations(image, hosts)] } : lim);
      }
      progress.grow(plan.added.length);
      const added = await mapInSlots(plan.added, slots, bootAndInspect);
      reports.push(...added);
      return {
        added: plan.added.map((s) => s.name),
        removed: plan.removed.map((s) => s.name),
        metadataUpdated: names(plan.metadataUpdated, model),
        membersChanged: plan.membersChanged.map((k) => before.loadBalancers.find((lb) => lb.key === k)?.name ?? k),
        servers: added,
      };
    };

    const checks: LabCheck[] = [];
    if (options.afterBoot) {
      log(`[lab ${stack}] after boot`);
      checks.push(...await options.afterBoot({
        get model() {
          return model;
        },
        apply,
        fromInternet: (url, timeoutSeconds) => httpGet(net.clientNamespace, url, timeoutSeconds),
        internetPosts: () => internet?.posts() ?? [],
        execFromInternet: (argv, opts = {}) => execInNamespace(net.clientNamespace, argv, opts.timeoutMs ?? 60_000),
        setConnected: async (name, connected) => {
          const server = model.servers.find((s) => s.name === name);
          if (!server) throw new Error(`lab ${stack}: no server named '${name}' (servers: ${model.servers.map((s) => s.name).join(', ')})`);
          await net.setServerLinks(server.key, connected);
        },
        quietly: (fn) => slots.exclusive(fn),
        exec: async (name, argv, opts = {}) => {
          const server = model.servers.find((s) => s.name === name);
          const booted = server && servers.get(server.key);
          if (!booted) throw new Error(`lab ${stack}: no booted server named '${name}' (servers: ${model.servers.map((s) => s.name).join(', ')})`);
          const r = await booted.exec(argv, { input: opts.input, timeoutMs: opts.timeoutMs ?? 60_000, check: false });
          return { status: r.code, stdout: r.stdout, stderr: r.stderr };
        },
      }));
    }
    throwIfAborted('after boot');
    for (const server of model.servers) {
      for (const url of downloads.get(server.key)!) {
        const at = reports.findIndex((r) => r.key === server.key);
        const report = reports[at];
        const served = internet!.requests().some((r) => url.endsWith(r));
        // The stand-in is not the release: a pinned checksum must refuse it, and the setup must stop visibly.
        const ok = served && report.cloudInit !== 'done';
        checks.push({ kind: 'download', name: `${server.name} ${url}`, ok,
          detail: !served ? 'the server never asked for it' : ok ? `the lab's stand-in was refused; cloud-init: ${report.cloudInit}` : 'the stand-in was accepted or its refusal did not stop the setup' });
        if (served) limits.push(`${server.name} downloads ${url} at boot (outside the Debian archive, a deploy risk): the lab served a stand-in, which must be refused`);
        // Refused as it must be: the server cannot be clean here, and what it would run is unproven.
        if (ok && !report.clean) {
          reports[at] = { ...report, limitedBy: `it downloads ${url} at boot; the lab has only a stand-in, which it refused by its checksum as it must, so its setup stopped there` };
        }
      }
    }
    const limitOf = (serverKey: string): string | undefined => {
      const r = reports.find((x) => x.key === serverKey);
      return r?.limitedBy && `${r.name} cannot be set up in the lab (${r.limitedBy})`;
    };
    const limited = (c: LabCheck, serverKey: string | undefined): LabCheck => {
      const limit = !c.ok && serverKey !== undefined ? limitOf(serverKey) : undefined;
      return limit ? { ...c, limit } : c;
    };
    // The checks of the forbidden flows wait out a timeout each: minutes on a large stack.
    const groups: [string, () => Promise<LabCheck[]>][] = [
      ['public entries', () => checkEntries(model, net, limitsByServer, limits)],
      ['declared connections', () => checkDeclaredConnections(model, net, limited)],
      ['forbidden flows', () => checkForbidden(model, net, reports)],
      ['pool members', () => checkMembers(model, net, limited)],
      ['monitoring targets', () => checkMonitoring(model, servers, limited)],
    ];
    for (const [i, [what, run]] of groups.entries()) {
      progress.note(`checks ${i + 1}/${groups.length}: ${what}`);
      checks.push(...await run());
    }
    throwIfAborted('during its checks');

    const wallSeconds = (Date.now() - started) / 1000;
    const report: LabReport = { stack, servers: reports, checks, limits, wallSeconds, ...labFigures(stack, reports, wallSeconds) };
    signal?.removeEventListener('abort', stopServers);
    if (!options.keep) await destroy();
    return { report, model, destroy };
  } catch (e) {
    signal?.removeEventListener('abort', stopServers);
    // The cause, not a failure of the clean-up, is what the caller must see.
    await destroy().catch((d: unknown) => log(`[lab ${stack}] clean-up after the failure failed too: ${d instanceof Error ? d.message : String(d)}`));
    throw e;
  }
}

/** Waits for cloud-init, then reads failed units and listening sockets. */
async function inspectServer(model: LabStackModel, server: LabServerModel, booted: LabServer, lim: ServerLimits, timeoutMs: number): Promise<LabServerReport> {
  const ci = await booted.waitForCloudInit(timeoutMs);
  const running = ci.status !== 'timeout' && ci.status !== 'stopped';
  const failed = running ? await booted.failedUnits() : [];
  const limitedUnits: { unit: string; reason: string }[] = lim.unitLimits.filter((l) => failed.includes(l.unit));
  const journals = new Map<string, string>();
  for (const u of failed) journals.set(u, await booted.journal(u, 40));
  for (const u of failed) {
    const module = missingModule(journals.get(u) ?? '');
    if (module && !limitedUnits.some((l) => l.unit === u)) limitedUnits.push({ unit: u, reason: `needs the kernel module ${module}, which the lab's containers cannot load (a VM's kernel has it)` });
  }
  // cloud-final fails when runcmd failed; when the only failing command restarted a unit the kernel
  // cannot run (mount units are restarted last: see CloudConfig), everything else has run.
  const cloudFinal = journals.get('cloud-final.service') ?? '';
  const limitedScriptFailure = ci.status === 'error' && ci.errors.every((e) => /scripts-user|runcmd/.test(e))
    && limitedUnits.some((l) => cloudFinal.includes(l.unit) || ci.errors.join(' ').includes(l.unit) || failed.includes(l.unit))
    && failed.every((u) => u === 'cloud-final.service' || limitedUnits.some((l) => l.unit === u));
  if (limitedScriptFailure) limitedUnits.push({ unit: 'cloud-final.service', reason: 'runcmd stopped at the restart of a unit the kernel cannot run; every command before it (the daemons) ran' });
  const failedUnits = failed.filter((u) => !limitedUnits.some((l) => l.unit === u));
  const own = ownAddresses(model, server);
  const ipvsPorts = new Set(lim.ipvsServices.map((v) => v.port));
  const expected = openedPorts(model, server).filter(({ protocol, port }) => !(protocol === 'tcp' && ipvsPorts.has(port))); // IPVS: see limits
  const cloudInitOk = ci.status === 'done' || limitedScriptFailure;
  // A daemon restarted by cloud-init's last command may still be starting (a JVM takes seconds):
  // give the opened ports LISTEN_GRACE_MS to be served, polling, before reporting one as not listening.
  // A server whose setup failed is not clean whatever it serves: its ports are read once, no grace.
  let notListening: string[] = [];
  const graceEnd = cloudInitOk ? Date.now() + LISTEN_GRACE_MS : Date.now();
  while (running) {
    const listening = await booted.listening();
    notListening = expected.filter(({ protocol, port }) => !listening.some((l) => l.protocol === protocol && l.port === port
      && (l.address === '0.0.0.0' || l.address === '*' || l.address === '::' || own.includes(l.address)))).map(({ protocol, port }) => `${protocol}/${port}`);
    if (notListening.length === 0 || Date.now() > graceEnd) break;
    await new Promise((r) => setTimeout(r, 3000));
  }
  const logs: Record<string, string> = {};
  for (const unit of [...failedUnits, ...(ci.status !== 'done' ? ['cloud-final.service'] : [])]) {
    if (running && logs[unit] === undefined) logs[unit] = (journals.get(unit) ?? await booted.journal(unit, 40)).slice(-4000);
  }
  if (!running) logs.console = ci.errors.join('\n').slice(-4000);
  // What the failing command printed: the end of cloud-init's output log.
  if (running && ci.status === 'error') logs['cloud-init-output.log'] = (booted.readFile('/var/log/cloud-init-output.log') ?? '').split('\n').slice(-30).join('\n');
  return {
    key: server.key,
    name: server.name,
    cloudInit: ci.status,
    cloudInitErrors: ci.errors,
    failedUnits,
    limitedUnits,
    notListening,
    logs,
    bootSeconds: ci.seconds,
    clean: cloudInitOk && failedUnits.length === 0 && notListening.length === 0,
    adaptations: lim.adaptations.map((a) => `${a.path}: ${a.reason}`),
  };
}

function portsOf(model: LabStackModel, server: LabServerModel): LabPortModel[] {
  return server.portKeys.map((k) => model.ports.find((p) => p.key === k)).filter((p): p is LabPortModel => p !== undefined);
}

/** The server's fixed addresses and single-address pairs (a VIP it may hold). */
function ownAddresses(model: LabStackModel, server: LabServerModel): string[] {
  return portsOf(model, server).flatMap((p) => [
    ...p.fixedIps.map((f) => f.ipAddress),
    ...p.allowedAddressPairs.filter((a) => isSingleAddress(a.ipAddress)).map((a) => a.ipAddress.replace(/\/32$/, '')),
  ]);
}

function ingressRules(model: LabStackModel, port: LabPortModel): LabSecurityGroupRuleModel[] {
  if (!port.portSecurity) return [];
  return port.securityGroupKeys.flatMap((k) => model.securityGroups.find((g) => g.key === k)?.rules ?? [])
    .filter((r) => r.direction === 'ingress' && r.ethertype === 'IPv4');
}

/** TCP/UDP ports the server's groups open (single ports only; ranges are not services). */
function openedPorts(model: LabStackModel, server: LabServerModel): { protocol: string; port: number }[] {
  const seen = new Map<string, { protocol: string; port: number }>();
  for (const port of portsOf(model, server)) {
    for (const r of ingressRules(model, port)) {
      // A port its server listens on only on demand (the rule says so) needs no listener.
      if ((r.protocol === 'tcp' || r.protocol === 'udp') && r.portRangeMin !== undefined && r.portRangeMin === r.portRangeMax && !onDemand(r)) {
        seen.set(`${r.protocol}/${r.portRangeMin}`, { protocol: r.protocol, port: r.portRangeMin });
      }
    }
  }
  return [...seen.values()];
}

/** Whether a rule opens a port its server listens on only on demand ({@link ON_DEMAND_LISTENER_NOTE} in its description). */
function onDemand(rule: LabSecurityGroupRuleModel): boolean {
  return rule.description?.includes(ON_DEMAND_LISTENER_NOTE) === true;
}

function serverOfAddress(model: LabStackModel, address: string): LabServerModel | undefined {
  return model.servers.find((s) => portsOf(model, s).some((p) => p.fixedIps.some((f) => f.ipAddress === address)));
}

/** Members of a security group: the servers with a port in it. */
function groupMembers(model: LabStackModel, groupKey: string): LabServerModel[] {
  return model.servers.filter((s) => portsOf(model, s).some((p) => p.portSecurity && p.securityGroupKeys.includes(groupKey)));
}

/** One request through each public entry (floating IP) on each port open to the internet. */
async function checkEntries(model: LabStackModel, net: LabNetwork, limitsByServer: Map<string, ServerLimits>, limits: string[]): Promise<LabCheck[]> {
  const checks: LabCheck[] = [];
  for (const fip of model.floatingIps) {
    const port = model.ports.find((p) => p.key === fip.portKey);
    if (!port) continue;
    const lb = port.owner.kind === 'loadbalancer' ? model.loadBalancers.find((l) => l.vipPortKey === port.key) : undefined;
    const targets: { port: number; tls: boolean }[] = lb
      ? lb.listeners.map((l) => ({ port: l.protocolPort, tls: l.protocol === 'TERMINATED_HTTPS' || l.protocol === 'HTTPS' }))
      : ingressRules(model, port).filter((r) => r.protocol === 'tcp' && r.remoteIpPrefix === '0.0.0.0/0' && r.portRangeMin !== undefined)
        .map((r) => ({ port: r.portRangeMin!, tls: r.portRangeMin === 443 }));
    // A VIP held through address pairs by servers whose IPVS serves it: the kernel has no IPVS, so the
    // request goes to the real servers directly from the holder (the next hop).
    const holders = model.servers.filter((s) => (limitsByServer.get(s.key)?.ipvsServices ?? []).some((v) => v.address === fip.fixedIp));
    for (const t of targets) {
      const ipvs = holders.flatMap((h) => limitsByServer.get(h.key)!.ipvsServices.filter((v) => v.address === fip.fixedIp && v.port === t.port).map((v) => ({ h, v })));
      if (ipvs.length > 0) {
        const { h, v } = ipvs[0];
        limits.push(`${fip.key} -> ${fip.fixedIp}:${t.port} is an IPVS virtual server: the kernel has no IPVS, so each real server is asked directly from ${h.name}`);
        for (const rs of v.realServers) {
          const probe = await httpGet(net.namespaceOf(h.key), `${t.tls ? 'https' : 'http'}://${rs.address}:${rs.port}/`, 10, { Host: fip.fixedIp });
          checks.push(entryCheck(`${fip.address}:${t.port} (IPVS next hop ${rs.address}:${rs.port} from ${h.name})`, probe));
        }
        continue;
      }
      const url = `${t.tls ? 'https' : 'http'}://${fip.address}:${t.port}/`;
      const probe = await httpGet(net.clientNamespace, url);
      checks.push(entryCheck(`${fip.address}:${t.port} -> ${fip.fixedIp} (${fip.portKey})`, probe));
    }
  }
  return checks;
}

function entryCheck(name: string, probe: HttpProbe): LabCheck {
  // A redirect is an answer of the entry (HTTP to HTTPS); anything below 500 proves a server answered.
  const ok = probe.status >= 200 && probe.status < 500;
  return { kind: 'entry', name, ok, detail: probe.error ? probe.error : `HTTP ${probe.status} ${probe.body.replace(/\s+/g, ' ').slice(0, 160)}` };
}

/** Marks a failed check that reached the server `serverKey` when the lab cannot set that server up. */
type LimitMarker = (check: LabCheck, serverKey: string | undefined) => LabCheck;

/** Every connection a security group admits from another group or an address of the stack works. */
async function checkDeclaredConnections(model: LabStackModel, net: LabNetwork, limited: LimitMarker): Promise<LabCheck[]> {
  const checks: LabCheck[] = [];
  const done = new Set<string>();
  for (const dst of model.servers) {
    if (!portsOf(model, dst)[0]?.fixedIps[0]) continue;
    for (const port of portsOf(model, dst)) {
      for (const r of ingressRules(model, port)) {
        if (r.protocol !== 'tcp' || r.portRangeMin === undefined || r.portRangeMin !== r.portRangeMax) continue;
        const sources = r.remoteGroupKey
          ? groupMembers(model, r.remoteGroupKey)
          : r.remoteIpPrefix && r.remoteIpPrefix !== '0.0.0.0/0'
            ? model.servers.filter((s) => portsOf(model, s).some((p) => p.fixedIps.some((f) => cidrContains(r.remoteIpPrefix!, f.ipAddress))))
            : [];
        for (const src of sources) {
          if (src.key === dst.key) continue;
          const id = `${src.key}>${dst.key}:${r.portRangeMin}`;
          if (done.has(id)) continue;
          done.add(id);
          const dstAddress = addressFacing(model, dst, src);
          if (onDemand(r)) {
            // Nothing listens between transfers: the flow works when the server's kernel answers.
            const reach = await tcpReach(net.namespaceOf(src.key), dstAddress, r.portRangeMin);
            checks.push(limited({ kind: 'connection', name: `${src.name} -> ${dst.name} ${dstAddress}:${r.portRangeMin}`, ok: reach !== 'silent',
              detail: reach === 'silent' ? `dropped (rule ${r.key}; a port listened on only on demand must still be reached)` : `${reach}: reached (a port listened on only on demand)` }, dst.key));
            continue;
          }
          let ok = await tcpConnects(net.namespaceOf(src.key), dstAddress, r.portRangeMin);
          let detail = 'connected';
          // A service of a VIP pair listens on the VIP (an address pair of the port), not on each
          // node's own address: the flow works when it reaches the VIP the server may hold.
          const vips = port.allowedAddressPairs.map((a) => a.ipAddress.replace(/\/32$/, '')).filter((a) => !a.includes('/'));
          for (const vip of ok ? [] : vips) {
            if (await tcpConnects(net.namespaceOf(src.key), vip, r.portRangeMin)) {
              ok = true;
              detail = `connected to the VIP ${vip} (an address pair of its port; the service listens there)`;
              break;
            }
          }
          checks.push(limited({ kind: 'connection', name: `${src.name} -> ${dst.name} ${dstAddress}:${r.portRangeMin}`, ok, detail: ok ? detail : `refused or dropped (rule ${r.key})` }, dst.key));
        }
      }
    }
  }
  return checks;
}

/**
 * The address of `dst` that `src` talks to: on a server with several NICs, the one on a network
 * (or a segment shared across regions) where `src` has a NIC too, as the software configured on
 * them does (Galera over the interconnect); else its first, reached through the routers.
 */
function addressFacing(model: LabStackModel, dst: LabServerModel, src: LabServerModel): string {
  const segmentOf = (networkKey: string): string => model.networks.find((n) => n.key === networkKey)?.segment ?? networkKey;
  const srcSegments = new Set(portsOf(model, src).map((p) => segmentOf(p.networkKey)));
  const dstPorts = portsOf(model, dst);
  const facing = dstPorts.length > 1 ? dstPorts.find((p) => srcSegments.has(segmentOf(p.networkKey))) : undefined;
  return (facing ?? dstPorts[0]).fixedIps[0].ipAddress;
}

/**
 * A sample of flows nothing admits, which must fail: the internet to every floating IP on every
 * listening port the groups do not open to it, and one server to another on a port the other
 * listens on but does not open to it, for every pair of networks.
 */
async function checkForbidden(model: LabStackModel, net: LabNetwork, reports: readonly LabServerReport[]): Promise<LabCheck[]> {
  // The probes are gathered, then run a few at a time: a refused flow is one whose SYN is dropped,
  // so each waits its whole timeout, and one after another they took minutes per stack.
  const probes: { name: string; namespace: string; address: string; port: number; refusedDetail: string; connectedDetail: string }[] = [];
  for (const fip of model.floatingIps) {
    const port = model.ports.find((p) => p.key === fip.portKey);
    if (!port || port.owner.kind === 'loadbalancer') continue;
    // Open to the internet, or to a network the lab's internet client is in (the retailers' of a drop).
    const open = new Set(ingressRules(model, port)
      .filter((r) => r.remoteIpPrefix === '0.0.0.0/0' || (r.remoteIpPrefix !== undefined && cidrContains(r.remoteIpPrefix, model.external.clientAddress)))
      .map((r) => r.portRangeMin));
    for (const p of [22, 3306, 6379]) {
      if (open.has(p)) continue;
      probes.push({ name: `internet -> ${fip.address}:${p}`, namespace: net.clientNamespace, address: fip.address, port: p, refusedDetail: 'refused as it must be', connectedDetail: 'CONNECTED: nothing admits this flow' });
    }
  }
  const sampled = new Set<string>();
  for (const dst of model.servers) {
    const addr = portsOf(model, dst)[0]?.fixedIps[0]?.ipAddress;
    const rep = reports.find((r) => r.key === dst.key);
    if (!addr || !rep) continue;
    for (const { protocol, port } of openedPorts(model, dst)) {
      // Only a port something listens on proves a refusal is the network's, not an empty port's.
      if (protocol !== 'tcp' || rep.notListening.includes(`tcp/${port}`) || rep.cloudInit === 'timeout' || rep.cloudInit === 'stopped') continue;
      const dstPort = portsOf(model, dst)[0];
      const rules = ingressRules(model, dstPort).filter((r) => r.protocol === 'tcp' && r.portRangeMin !== undefined && port >= r.portRangeMin && port <= (r.portRangeMax ?? r.portRangeMin));
      const admitted = (src: LabServerModel): boolean => rules.some((r) =>
        (r.remoteGroupKey !== undefined && groupMembers(model, r.remoteGroupKey).some((m) => m.key === src.key))
        || (r.remoteIpPrefix !== undefined && portsOf(model, src).some((p) => p.fixedIps.some((f) => cidrContains(r.remoteIpPrefix!, f.ipAddress)))));
      for (const src of model.servers) {
        if (src.key === dst.key || admitted(src)) continue;
        const pair = `${portsOf(model, src)[0]?.networkKey}>${dstPort.networkKey}:${port}`;
        if (sampled.has(pair)) continue;
        sampled.add(pair);
        probes.push({ name: `${src.name} -> ${dst.name} ${addr}:${port}`, namespace: net.namespaceOf(src.key), address: addr, port, refusedDetail: 'refused as it must be', connectedDetail: 'CONNECTED: no rule admits this flow' });
      }
    }
  }
  return mapInSlots(probes, new LabBootSlots(PROBE_CONCURRENCY), async (p): Promise<LabCheck> => {
    const connected = await tcpConnects(p.namespace, p.address, p.port, 2);
    return { kind: 'forbidden', name: p.name, ok: !connected, detail: connected ? p.connectedDetail : p.refusedDetail };
  });
}

/** Probes of forbidden flows run at once: each is a short-lived bash in a namespace, mostly waiting. */
const PROBE_CONCURRENCY = 8;

/** Every pool member is a server of the stack and answers its amphora. */
async function checkMembers(model: LabStackModel, net: LabNetwork, limited: LimitMarker): Promise<LabCheck[]> {
  const checks: LabCheck[] = [];
  for (const lb of model.loadBalancers) {
    for (const pool of lb.pools) {
      for (const m of pool.members) {
        const server = serverOfAddress(model, m.address);
        if (!server) {
          checks.push({ kind: 'member', name: `${lb.name} ${m.address}:${m.protocolPort}`, ok: false, detail: 'no server of the stack has this address' });
          continue;
        }
        const ok = await tcpConnects(net.namespaceOf(lb.key), m.address, m.protocolPort);
        checks.push(limited({ kind: 'member', name: `${lb.name} -> ${server.name} ${m.address}:${m.protocolPort}`, ok, detail: ok ? 'answers' : 'does not answer its amphora' }, server.key));
      }
    }
  }
  return checks;
}

/** Every Prometheus of the stack scrapes targets that exist and are up. */
async function checkMonitoring(model: LabStackModel, servers: Map<string, LabServer>, limited: LimitMarker): Promise<LabCheck[]> {
  const checks: LabCheck[] = [];
  for (const server of model.servers) {
    const booted = servers.get(server.key);
    if (!booted || !/prometheus/.test(server.userData)) continue;
    const listening = await booted.listening();
    if (!listening.some((l) => l.port === 9090)) continue;
    // Give every target one scrape interval before reading their health.
    let targets: { scrapeUrl: string; health: string; lastError: string }[] = [];
    for (let attempt = 0; attempt < 12; attempt++) {
      const r = await booted.exec(['curl', '-s', '--max-time', '5', 'http://127.0.0.1:9090/api/v1/targets?state=active']);
      try {
        targets = (JSON.parse(r.stdout).data.activeTargets ?? []) as typeof targets;
      } catch {
        targets = [];
      }
      if (targets.length > 0 && targets.every((t) => t.health !== 'unknown')) break;
      await new Promise((res) => setTimeout(res, 5000));
    }
    for (const t of targets) {
      const host = /^\w+:\/\/([^:/]+)/.exec(t.scrapeUrl)?.[1] ?? '';
      const exists = host === 'localhost' || host.startsWith('127.') || serverOfAddress(model, host) !== undefined;
      checks.push(limited({ kind: 'monitoring', name: `${server.name} scrapes ${t.scrapeUrl}`, ok: exists && t.health === 'up', detail: !exists ? 'no server of the stack has this address' : `${t.health}${t.lastError ? `: ${t.lastError}` : ''}` }, serverOfAddress(model, host)?.key));
    }
  }
  return checks;
}

/** Runs `fn` over `items`, at most `limit` at a time, keeping the order of results. */
/** What an item not started after another failed settles with. */
const NOT_STARTED = Symbol('not started');

/**
 * `fn` on every item, each in a slot of `slots` (boots, or any bounded work), asked in the items' order. After a failure no new
 * item starts; those running finish, so whoever cleans up finds every container it has to stop,
 * none still being made. Throws the first failure.
 */
async function mapInSlots<T, R>(items: readonly T[], slots: LabBootSlots, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  let failed = false;
  const settled = await Promise.allSettled(items.map((item, i) => slots.run(async () => {
    if (failed) throw NOT_STARTED;
    try {
      return await fn(item, i);
    } catch (e) {
      failed = true;
      throw e;
    }
  })));
  const error = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected' && r.reason !== NOT_STARTED);
  if (error) throw error.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<R>).value);
}

/**
 * What failed in a report, the lab's own limits left out: each server that is not clean and not
 * {@link LabServerReport.limitedBy limited}, each failed check without a {@link LabCheck.limit},
 * keyed `<stack> server <name>` or `<stack> check <kind> <name>`, with why. Empty when the stack passed.
 */
export function labFailures(report: LabReport): Map<string, string> {
  const out = new Map<string, string>();
  for (const s of report.servers) {
    if (!s.clean && !s.limitedBy) out.set(`${report.stack} server ${s.name}`, `${s.cloudInit}; failed: ${s.failedUnits.join(', ')}; not listening: ${s.notListening.join(', ')}`);
  }
  for (const c of report.checks) if (!c.ok && !c.limit) out.set(`${report.stack} check ${c.kind} ${c.name}`, c.detail);
  return out;
}

/**
 * The figures of a lab run: its `FIGURE` line, as printed since the lab's first report
 * (`FIGURE lab popgom: servers clean 7/8 (1 limited by a download the lab cannot serve), boot-to-ready
 * p50 41.2 s max 63.0 s, wall 212 s`), and the same numbers as figures, named `lab <stack> <what>`:
 * `servers`, `servers clean`, `servers limited`, `boot-to-ready p50` and `max` (left out when no
 * server finished its boot), `wall`.
 */
export function labFigures(stack: string, servers: readonly LabServerReport[], wallSeconds: number): { readonly figure: string; readonly figures: Figure[] } {
  const boots = servers.map((r) => r.bootSeconds).filter((b): b is number => b !== undefined).sort((a, b) => a - b);
  const p50 = boots.length ? boots[Math.floor((boots.length - 1) / 2)] : NaN;
  const max = boots.length ? boots[boots.length - 1] : NaN;
  const clean = servers.filter((r) => r.clean).length;
  const limitedCount = servers.filter((r) => r.limitedBy).length;
  const limitedNote = 'limited by a download the lab cannot serve';
  const figure = `FIGURE lab ${stack}: servers clean ${clean}/${servers.length}${limitedCount ? ` (${limitedCount} ${limitedNote})` : ''}, boot-to-ready p50 ${p50.toFixed(1)} s max ${max.toFixed(1)} s, wall ${wallSeconds.toFixed(0)} s`;
  const name = (what: string): string => `lab ${stack} ${what}`;
  const figures: Figure[] = [
    { name: name('servers'), value: servers.length, unit: 'servers' },
    { name: name('servers clean'), value: clean, unit: 'servers', detail: `of ${servers.length}` },
    { name: name('servers limited'), value: limitedCount, unit: 'servers', detail: limitedNote },
    ...(boots.length ? [
      { name: name('boot-to-ready p50'), value: p50, unit: 's', detail: `of ${boots.length} servers` },
      { name: name('boot-to-ready max'), value: max, unit: 's', detail: `of ${boots.length} servers` },
    ] : []),
    { name: name('wall'), value: wallSeconds, unit: 's', detail: 'from the start of the run to its report' },
  ];
  return { figure, figures };
}

/**
 * Prints the report ({@link formatLabReport}, its `FIGURE` line last) through `figures` and appends
 * the report's figures to its file (`figures/lab.jsonl` for `npm run lab`): what `npm run lab` and
 * the lab's test print.
 */
export function printLabReport(report: LabReport, figures: FigureLog): void {
  figures.print(formatLabReport(report), report.figures);
}

/** The report as text: a line per server and per check, the limits, and the FIGURE line. */
export function formatLabReport(report: LabReport): string {
  const lines: string[] = [`Lab report: ${report.stack}`];
  for (const s of report.servers) {
    const why = [
      s.cloudInit !== 'done' ? `cloud-init ${s.cloudInit}${s.cloudInitErrors.length ? `: ${s.cloudInitErrors.join('; ').slice(0, 300)}` : ''}` : '',
      s.failedUnits.length ? `failed units: ${s.failedUnits.join(', ')}` : '',
      s.notListening.length ? `nothing listening on ${s.notListening.join(', ')}` : '',
    ].filter(Boolean).join('; ');
    const state = s.clean ? 'clean' : s.limitedBy ? `LIMITED, not clean (${why}): ${s.limitedBy}` : `NOT CLEAN (${why})`;
    lines.push(`  server ${s.name}: ${state}${s.bootSeconds !== undefined ? `, ready in ${s.bootSeconds.toFixed(1)} s` : ''}`);
    for (const l of s.limitedUnits) lines.push(`    limit: ${l.unit}: ${l.reason}`);
    if (!s.clean) for (const [unit, log] of Object.entries(s.logs)) lines.push(`    ${unit}:`, ...log.trim().split('\n').slice(-12).map((l) => `      | ${l}`));
    for (const a of s.adaptations) lines.push(`    adapted: ${a}`);
  }
  for (const c of report.checks) lines.push(`  ${c.ok ? 'ok  ' : c.limit ? 'LIMIT' : 'FAIL'} ${c.kind} ${c.name}: ${c.detail}${c.limit ? `; not proven: ${c.limit}` : ''}`);
  for (const l of report.limits) lines.push(`  limit: ${l}`);
  lines.push(report.figure);
  return lines.join('\n');
}
