/**
 * VIP failover with the real keepalived, from the stacks' rendered configs: each balancer node is a
 * lab host (network, PID and mount namespaces) with its planned address on `ens3` (OVHcloud's
 * Debian 12 name), its rendered nftables ruleset loaded, the rendered keepalived.conf at
 * /etc/keepalived/keepalived.conf and `$NIC` defined by the rendered boot script that finds the
 * interface from the address. keepalived runs the VRRP half only (`-P`): this kernel has no
 * IPVS, and the virtual_server blocks of the LVS directors are not what is proven here.
 *
 * What the rendered config promises, read from it: a backup takes the VIP over when it has heard no
 * advert for the VRRPv3 master-down interval (RFC 5798, 6.1):
 *   Master_Down_Interval = 3 x Master_Adver_Interval + Skew_Time,
 *   Skew_Time = ((256 - Priority) x Master_Adver_Interval) / 256   (the backup's priority).
 * The measured takeover must stay within it plus TAKEOVER_MARGIN_MS, and under TAKEOVER_TARGET_MS.
 * While POPGOM's master dies, a client sends a bounded loop of requests to the VIP (a new
 * connection each, no retry: every request counts); none may fail but the one connection in flight
 * when the client's ARP entry moves to the new master, which resets it (see the test).
 */
import { Testing } from 'cdktf';
import { HaproxyBalancer, HostingStack } from '../../lib';
import { NIC_SCRIPT_PATH } from '../../lib/compute/nic-resolution';
import { MdEntries, MonsieurDeguisementStack } from '../../stacks/monsieur-deguisement';
import { PopgomStack } from '../../stacks/popgom';
import { figure, hostFile, Lab, LabHost, LabProcess, plannedHost, plannedRouter, poolClient, RequestLoopOptions, RequestSample, useLab, vswitchesOf } from '../support/lab';

/** Issue 9 item 12: a VIP takeover, and the client's first answer through the new master, within 1 s. */
const TAKEOVER_TARGET_MS = 1000;
/**
 * The client's request loop around the takeover: one client, one request at a time, a new
 * connection per request and no retry (what a browser does for a new page), paced at 50/s, bounded
 * in count and time; each request times out after 2 s (a browser waits longer: a request that
 * would only have been slow counts as failed here).
 */
const TAKEOVER_LOOP: RequestLoopOptions = { count: 200, durationMs: 3000, concurrency: 1, ratePerSecond: 50, timeoutMs: 2000 };
/** Requests answered by the master before it is killed. */
const KILL_AFTER_REQUESTS = 20;

/**
 * What the measurement adds to the protocol's interval: the 20 ms poll of `ip addr`, the `ip` call
 * itself (~5 ms), keepalived adding the address over netlink, and scheduling delays on a busy CI
 * runner (jest runs other suites in parallel). Measured here: 3.2-3.6 s against a 3.61 s interval
 * with 1 s adverts; with the 0.1 s default, 0.28-0.35 s against 0.34-0.36 s on a quiet runner and up
 * to 0.76 s with a load of 7 on 2 cores (the delay is absolute, so it weighs more on short intervals).
 * TAKEOVER_TARGET_MS bounds it too.
 */
const TAKEOVER_MARGIN_MS = 450;
/** The client sees the backup after its gratuitous ARPs: the takeover, then one 20 ms curl poll and a connection. */
const ANSWER_MARGIN_MS = 500;
/** How far the request loop's clock may be off the test's after aligning it on one request (see the takeover test). */
const ALIGNMENT_TOLERANCE_MS = 20;

/** The VRRP instance of a rendered keepalived.conf (one instance per balancer node). */
interface VrrpInstanceConfig {
  readonly version: number;
  readonly state: string;
  readonly interfaceName: string;
  readonly priority: number;
  readonly advertIntervalMs: number;
  readonly vip: string;
  readonly sourceAddress: string;
  readonly peers: string[];
  readonly trackScripts: string[];
}

/** Reads the values the failover depends on from a rendered keepalived.conf. */
function parseVrrp(conf: string): VrrpInstanceConfig {
  const block = /vrrp_instance \S+ \{([\s\S]*?)\n\}/.exec(conf)?.[1];
  if (!block) throw new Error(`no vrrp_instance in:\n${conf}`);
  const value = (key: string): string => {
    const m = new RegExp(`^\\s*${key}\\s+(\\S+)\\s*$`, 'm').exec(block);
    if (!m) throw new Error(`no ${key} in the vrrp_instance`);
    return m[1];
  };
  const list = (name: string): string[] => (new RegExp(`${name} \\{([^}]*)\\}`).exec(block)?.[1] ?? '').split('\n').map((l) => l.trim()).filter(Boolean);
  return {
    version: Number(/vrrp_version\s+(\d)/.exec(conf)?.[1] ?? '2'),
    state: value('state'),
    interfaceName: value('interface'),
    priority: Number(value('priority')),
    advertIntervalMs: Math.round(Number(value('advert_int')) * 1000),
    vip: list('virtual_ipaddress')[0].split(/[\s/]/)[0],
    sourceAddress: value('unicast_src_ip'),
    peers: list('unicast_peer'),
    trackScripts: list('track_script'),
  };
}

/** The VRRPv3 master-down interval of a backup (RFC 5798, 6.1), in ms. */
function masterDownIntervalMs(backup: VrrpInstanceConfig): { readonly total: number; readonly skew: number } {
  const skew = ((256 - backup.priority) * backup.advertIntervalMs) / 256;
  return { total: 3 * backup.advertIntervalMs + skew, skew };
}

/** The vrrp_script of a rendered keepalived.conf. */
function parseVrrpScript(conf: string): { readonly intervalMs: number; readonly timeoutMs: number; readonly fall: number; readonly rise: number; readonly script: string } {
  const block = /vrrp_script \S+ \{([\s\S]*?)\n\}/.exec(conf)?.[1];
  if (!block) throw new Error('no vrrp_script');
  const num = (k: string) => Number(new RegExp(`^\\s*${k}\\s+(\\S+)`, 'm').exec(block)?.[1]);
  return { intervalMs: num('interval') * 1000, timeoutMs: num('timeout') * 1000, fall: num('fall'), rise: num('rise'), script: /script "([^"]+)"/.exec(block)![1] };
}

interface Node {
  readonly name: string;
  readonly host: LabHost;
  readonly vrrp: VrrpInstanceConfig;
  keepalived?: LabProcess;
  haproxy?: LabProcess;
}

/**
 * What the node does at boot before keepalived starts: the rendered hosting-stacks-nic script finds
 * the interface that carries the node's address and defines `$NIC` for keepalived.conf. Returns the
 * VRRP settings with the interface it found.
 */
function resolveNic(lab: Lab, host: LabHost, stack: HostingStack, name: string, vrrp: VrrpInstanceConfig): VrrpInstanceConfig {
  const r = lab.exec(host, ['sh', host.stage('hosting-stacks-nic', hostFile(stack, name, NIC_SCRIPT_PATH))]);
  const nic = / is on (\S+)/.exec(r.stdout)?.[1];
  if (!r.ok || !nic) throw new Error(`hosting-stacks-nic on ${name}: ${r.output}`);
  return { ...vrrp, interfaceName: nic };
}

async function startKeepalived(lab: Lab, node: Node): Promise<void> {
  // -P: VRRP only (no IPVS here); -n -l: a foreground child of the test logging to its output.
  node.keepalived = await lab.spawn(node.host, ['keepalived', '-P', '-n', '-l', '-D', '-f', '/etc/keepalived/keepalived.conf'], {
    readyWhen: { output: /Entering (BACKUP|MASTER) STATE/ },
    readyTimeoutMs: 10000,
  });
}

/** The state keepalived last entered, from its log (`MASTER`, `BACKUP`, `FAULT`), or undefined. */
function lastVrrpState(logs: string): string | undefined {
  return [...logs.matchAll(/Entering (\w+) STATE/g)].pop()?.[1];
}

/** Waits until exactly one node holds the VIP; returns [master, backup] and the time it took. */
async function electedPair(lab: Lab, nodes: readonly Node[], vip: string, timeoutMs: number): Promise<{ master: Node; backup: Node; ms: number }> {
  const ms = await lab.waitFor(`one of ${nodes.map((n) => n.name).join(', ')} holds ${vip}`, () => nodes.filter((n) => lab.hasAddress(n.host, vip)).length === 1, { timeoutMs });
  const master = nodes.find((n) => lab.hasAddress(n.host, vip))!;
  const backup = nodes.find((n) => n !== master)!;
  // Stable, not the first half of a split brain: one advert interval later the backup, which hears
  // the master's adverts through both firewalls, is a backup. Started at the same moment, it may have
  // been master for an instant before the first advert arrived (VRRP's startup race, which the
  // higher-priority advert ends): what counts is the state it is in now.
  await new Promise((r) => setTimeout(r, backup.vrrp.advertIntervalMs));
  if (lab.hasAddress(backup.host, vip) || lastVrrpState(backup.keepalived?.logs() ?? '') !== 'BACKUP') {
    throw new Error(`split brain: ${backup.name} became master too (VRRP adverts do not reach it):\n${backup.keepalived?.logs()}`);
  }
  return { master, backup, ms };
}

/**
 * Measures from now: until `backup` holds the VIP, and until the client's requests to the VIP are
 * answered through the backup (its neighbour entry for the VIP is the backup's MAC and `answered`
 * accepts the answer).
 */
async function measureTakeover(lab: Lab, backup: Node, client: LabHost, vip: string, url: string, answered: (body: string) => boolean, timeoutMs: number): Promise<{ takeoverMs: number; answerMs: number }> {
  const backupMac = backup.host.mac(backup.vrrp.interfaceName);
  const [takeoverMs, answerMs] = await Promise.all([
    lab.waitFor(`${backup.name} takes ${vip} over`, () => lab.hasAddress(backup.host, vip), { timeoutMs, intervalMs: 20 }),
    lab.waitFor(`${vip} answers ${client.name} from ${backup.name}`, async () => {
      const r = await lab.curl(client, url, 300);
      return r.ok && answered(r.body) && lab.neighbourMac(client, vip) === backupMac;
    }, { timeoutMs, intervalMs: 20 }),
  ]);
  return { takeoverMs, answerMs };
}

describe('POPGOM: the LVS directors keep the VIP (keepalived VRRP, rendered configs)', () => {
  const lab = useLab('vip-popgom');
  const stack = new PopgomStack(Testing.app(), 'popgom');
  const names = stack.balancer.nodes.instances.map((i) => i.hostname);
  const nodes: Node[] = [];
  let client: LabHost;

  beforeAll(async () => {
    for (const name of names) {
      const host = await lab.addHost(name, plannedHost(stack, name, { privateDirs: ['/etc/keepalived'] }));
      host.writeFile('/etc/keepalived/keepalived.conf', hostFile(stack, name, '/etc/keepalived/keepalived.conf'));
      const vrrp = resolveNic(lab, host, stack, name, parseVrrp(hostFile(stack, name, '/etc/keepalived/keepalived.conf')));
      // The rendered firewall, loaded first: VRRP between the directors must pass it.
      const nft = lab.exec(host, ['nft', '-f', host.stage('nftables.conf', hostFile(stack, name, '/etc/nftables.conf'))]);
      if (!nft.ok) throw new Error(`nft -f on ${name}: ${nft.output}`);
      // Stands in for IPVS (absent from this kernel) on the port the firewall opens: answers the director's name.
      await lab.startHttpServer(host, { port: stack.web.listenPort });
      nodes.push({ name, host, vrrp });
    }
    client = await lab.addHost('client', poolClient(stack.balancer.vswitch));
  }, 30000);

  test('given the rendered configs, then they describe one VRRPv3 pair over unicast on the planned addresses', () => {
    const [a, b] = nodes.map((n) => n.vrrp);
    expect([a.version, b.version]).toEqual([3, 3]);
    expect([a.vip, b.vip]).toEqual([stack.balancer.vipAddress, stack.balancer.vipAddress]);
    expect(a.peers).toEqual([b.sourceAddress]);
    expect(b.peers).toEqual([a.sourceAddress]);
    expect(nodes.map((n) => n.vrrp.sourceAddress)).toEqual(stack.balancer.nodes.instances.map((i) => i.address));
  });

  test('given both directors started and a client requesting the VIP, when the master keepalived is SIGKILLed, then the backup answers on the VIP within 3 x advert_int + skew and under 1 s, and no request fails but one in flight at the takeover', async () => {
    // Given: both keepalived started; one is elected
    await Promise.all(nodes.map((n) => startKeepalived(lab, n)));
    const vip = stack.balancer.vipAddress;
    const first = masterDownIntervalMs(nodes[0].vrrp);
    const { master, backup, ms: electionMs } = await electedPair(lab, nodes, vip, first.total + 5000);
    figure('popgom-vip-election-ms', electionMs, `both start as BACKUP (nopreempt); the first master-down interval elects ${master.name}`);
    const url = `http://${vip}:${stack.web.listenPort}/`;
    const before = await lab.curl(client, url, 2000);
    expect(before.body.trim()).toBe(master.name);

    // When: a client keeps requesting the VIP, and the master's keepalived dies at once (its VRRP
    // child first, then the parent: no clean shutdown, so the VIP stays on the dead master's NIC
    // until the backup's gratuitous ARPs move the client over)
    const loop = await lab.requestLoop(client, url, TAKEOVER_LOOP);
    await loop.whenCompleted(KILL_AFTER_REQUESTS, 5000);
    const killedAt = Date.now();
    master.keepalived!.kill('SIGKILL', { tree: true });
    const limit = masterDownIntervalMs(backup.vrrp);
    const { takeoverMs, answerMs } = await measureTakeover(lab, backup, client, vip, url, (body) => body.trim() === backup.name, limit.total + 5000);
    const report = await loop.report;

    // Then
    // The loop's clock starts with its process, a little after requestLoop returned: align it on the
    // request whose completion let the kill go (one request at a time: number KILL_AFTER_REQUESTS - 1).
    const pivot = report.samples.find((r) => r.i === KILL_AFTER_REQUESTS - 1)!;
    const skew = killedAt - (pivot.at + pivot.ms);
    const sinceKill = (r: RequestSample) => r.at + skew - killedAt;
    // The alignment is good to a few milliseconds (two processes' clocks, each event loop's latency),
    // so the window ends ALIGNMENT_TOLERANCE_MS after the first answer through the backup: a reset
    // 6 ms after it was seen on a loaded machine, still a connection the dead master had accepted.
    const during = report.samples.filter((r) => sinceKill(r) >= 0 && sinceKill(r) <= answerMs + ALIGNMENT_TOLERANCE_MS);
    // A request whose connection the dead master accepted and whose later packets go to the new
    // master once the client has its gratuitous ARP: the new master knows no such connection and
    // resets it (so would a new IPVS master: the directors do not synchronise connections).
    const resetAtTakeover = (r: RequestSample) => r.error === 'ECONNRESET' && during.includes(r);
    const failures = report.failed.map((r) => `#${r.i} at +${sinceKill(r)} ms: ${r.error ?? r.status} after ${r.ms} ms`).join(', ');
    figure('popgom-vip-takeover-ms', takeoverMs, `limit 3 x ${backup.vrrp.advertIntervalMs} ms + skew ${limit.skew.toFixed(0)} ms (priority ${backup.vrrp.priority}) = ${limit.total.toFixed(0)} ms + margin ${TAKEOVER_MARGIN_MS} ms; target < ${TAKEOVER_TARGET_MS} ms`);
    figure('popgom-vip-answer-ms', answerMs, `client ${client.name} answered by ${backup.name} on ${vip}, limit ${limit.total.toFixed(0)} + ${ANSWER_MARGIN_MS} ms; target < ${TAKEOVER_TARGET_MS} ms`);
    figure('popgom-vip-takeover-requests', { part: report.ok, whole: report.sent }, `failed ${report.failed.length}${failures ? ` (${failures})` : ''}; ${during.length} started between the kill and the first answer through ${backup.name}; one client, a new connection per request, no retry, ${TAKEOVER_LOOP.ratePerSecond}/s; served by ${JSON.stringify(report.byBody)}`);
    figure('popgom-vip-takeover-latency-ms', { values: { p50: report.latency.p50, p95: report.latency.p95, p99: report.latency.p99, max: report.latency.max } }, `${report.sent} requests in ${report.durationMs} ms`);
    expect(takeoverMs).toBeLessThanOrEqual(limit.total + TAKEOVER_MARGIN_MS);
    expect(answerMs).toBeLessThanOrEqual(limit.total + ANSWER_MARGIN_MS);
    expect(takeoverMs).toBeLessThan(TAKEOVER_TARGET_MS);
    expect(answerMs).toBeLessThan(TAKEOVER_TARGET_MS);
    expect(lastVrrpState(backup.keepalived!.logs())).toBe('MASTER');
    // No request went unanswered for want of a master (no refusal, no timeout): the only failure
    // allowed is the one connection in flight when the client's ARP entry moved, reset by the new
    // master. Zero needs IPVS connection synchronisation between the directors (not proven here:
    // this kernel has no IPVS).
    expect(report.failed.filter((r) => !resetAtTakeover(r))).toEqual([]);
    expect(report.failed.length).toBeLessThanOrEqual(TAKEOVER_LOOP.concurrency!);
    // The loop spanned the takeover: requests were sent through it, and both directors answered.
    expect(during.length).toBeGreaterThan(0);
    expect(report.byBody[master.name]).toBeGreaterThanOrEqual(KILL_AFTER_REQUESTS);
    expect(report.byBody[backup.name]).toBeGreaterThan(0);
  }, 30000);
  test('given the rendered ruleset without its VRRP rule, when both directors start, then both become master: the rule is what the stable election above relies on', async () => {
    // Given: the same directors on a segment of their own, the VRRP accept rule removed from each ruleset
    const pair: Node[] = [];
    for (const name of names) {
      const planned = plannedHost(stack, name, { privateDirs: ['/etc/keepalived'] });
      const host = await lab.addHost(`nofw-${name}`, { ...planned, interfaces: planned.interfaces.map((i) => ({ ...i, segment: `${i.segment} without VRRP` })) });
      const conf = hostFile(stack, name, '/etc/keepalived/keepalived.conf');
      host.writeFile('/etc/keepalived/keepalived.conf', conf);
      const ruleset = hostFile(stack, name, '/etc/nftables.conf');
      const withoutVrrp = ruleset.split('\n').filter((l) => !/ip protocol vrrp accept/.test(l)).join('\n');
      expect(withoutVrrp).not.toBe(ruleset);
      expect(lab.exec(host, ['nft', '-f', host.stage('nftables.conf', withoutVrrp)]).ok).toBe(true);
      pair.push({ name, host, vrrp: resolveNic(lab, host, stack, name, parseVrrp(conf)) });
    }

    // When
    await Promise.all(pair.map((n) => startKeepalived(lab, n)));

    // Then: the first master's adverts are new connections to the other firewall, dropped, so the
    // other director's master-down interval expires too and it takes the VIP. (Its own adverts then
    // come back through the first director's conntrack as replies, and the pair converges: a
    // duplicate VIP at every start, which the stable-election check above would report.)
    const splitMs = await lab.waitFor('both directors enter MASTER', () => pair.every((n) => /Entering MASTER STATE/.test(n.keepalived!.logs())), { timeoutMs: masterDownIntervalMs(pair[1].vrrp).total + 5000 });
    figure('popgom-vip-double-master-without-vrrp-rule-ms', splitMs, 'control: with the VRRP accept rule removed from the rendered rulesets, both directors become master');
  }, 30000);
});

describe('Monsieur Déguisement (keepalived+haproxy): a country entrance keeps its VIP', () => {
  const lab = useLab('vip-md');
  // Plain HTTP on the VIP keeps the client simple; the HTTPS bind moves with the VIP the same way.
  const stack = new MonsieurDeguisementStack(Testing.app(), 'md', { entries: MdEntries.haproxyPairs(), https: false });
  const entrance = stack.entrances.entrances[0];
  const balancer = entrance.balancer as HaproxyBalancer;
  const nodes: Node[] = [];
  let client: LabHost;

  beforeAll(async () => {
    await lab.addHost('router', plannedRouter(stack));
    // Every planned front-end answers, so the entry's health checks find the whole pool up.
    await Promise.all(stack.frontends.cluster.instances.map(async (i) => lab.startHttpServer(await lab.addHost(i.hostname, plannedHost(stack, i.hostname)), { port: 80 })));
    for (const instance of balancer.nodes.instances) {
      const name = instance.hostname;
      const conf = hostFile(stack, name, '/etc/keepalived/keepalived.conf');
      const host = await lab.addHost(name, plannedHost(stack, name, { privateDirs: ['/etc/keepalived', '/etc/haproxy', '/etc/sysctl.d'] }));
      host.writeFile('/etc/keepalived/keepalived.conf', conf);
      const vrrp = resolveNic(lab, host, stack, name, parseVrrp(conf));
      host.writeFile('/etc/haproxy/haproxy.cfg', hostFile(stack, name, '/etc/haproxy/haproxy.cfg'));
      host.writeFile('/etc/sysctl.d/60-haproxy-nonlocal-bind.conf', hostFile(stack, name, '/etc/sysctl.d/60-haproxy-nonlocal-bind.conf'));
      // What systemd does at boot (systemd-sysctl) and for haproxy.service (RuntimeDirectory=haproxy).
      const sysctl = lab.exec(host, ['sysctl', '-p', '/etc/sysctl.d/60-haproxy-nonlocal-bind.conf']);
      if (!sysctl.ok) throw new Error(sysctl.output);
      host.mkdir('/run/haproxy');
      const nft = lab.exec(host, ['nft', '-f', host.stage('nftables.conf', hostFile(stack, name, '/etc/nftables.conf'))]);
      if (!nft.ok) throw new Error(`nft -f on ${name}: ${nft.output}`);
      nodes.push({ name, host, vrrp });
    }
    client = await lab.addHost('client', poolClient(vswitchesOf(stack).find((v) => v.contains(balancer.vipAddress))!));
  }, 40000);

  async function startHaproxy(node: Node): Promise<void> {
    // -db: one foreground process, a child of the test (the unit's -Ws master-worker mode is not needed here).
    node.haproxy = await lab.spawn(node.host, ['haproxy', '-db', '-f', '/etc/haproxy/haproxy.cfg'], {
      readyWhen: { check: () => lab.exec(node.host, ['ss', '-Hltn', 'src', `${balancer.vipAddress}:80`]).stdout.includes(':80') },
    });
  }

  test('given KEEPALIVED_HAPROXY, then the entrance is a haproxy pair', () => {
    expect(balancer).toBeInstanceOf(HaproxyBalancer);
  });

  test('given the rendered configs, then the pair tracks haproxy with killall -0, which a host of its own can satisfy', () => {
    const script = parseVrrpScript(hostFile(stack, nodes[0].name, '/etc/keepalived/keepalived.conf'));
    expect(script.script).toBe('/usr/bin/killall -0 haproxy');
    expect(nodes.map((n) => n.vrrp.trackScripts)).toEqual([['chk_haproxy'], ['chk_haproxy']]);
    expect(nodes.map((n) => n.vrrp.vip)).toEqual([balancer.vipAddress, balancer.vipAddress]);
    // Each lab host is its own PID namespace: the node's killall sees its own haproxy only.
    expect(lab.exec(nodes[0].host, ['killall', '-0', 'haproxy']).ok).toBe(false);
  });

  test('given both nodes running haproxy and keepalived, when the master\'s haproxy dies, then its track script hands the VIP to the backup; when the new master\'s keepalived is SIGKILLed, then the VIP comes back', async () => {
    // Given
    await Promise.all(nodes.map((n) => startHaproxy(n)));
    await Promise.all(nodes.map((n) => startKeepalived(lab, n)));
    const vip = balancer.vipAddress;
    const url = `http://${vip}/`;
    const { master, backup, ms: electionMs } = await electedPair(lab, nodes, vip, masterDownIntervalMs(nodes[0].vrrp).total + 5000);
    figure('md-vip-election-ms', electionMs, `entrance ${entrance.country}: ${master.name} elected`);
    const before = await lab.curl(client, url, 5000);
    expect(before.ok).toBe(true);
    expect(before.body).toMatch(/^frontends-\d+\n$/);

    // When: the master's haproxy dies
    const script = parseVrrpScript(hostFile(stack, master.name, '/etc/keepalived/keepalived.conf'));
    const mark = master.keepalived!.logLength;
    master.haproxy!.kill('SIGKILL');
    const limit1 = masterDownIntervalMs(backup.vrrp);
    const trackLimit = script.intervalMs * script.fall + script.timeoutMs + limit1.skew;
    const first = await measureTakeover(lab, backup, client, vip, url, (b) => /^frontends-\d+\n$/.test(b), trackLimit + 5000);

    // Then: the master gave the VIP up (FAULT) and the backup answers through its own haproxy
    figure('md-haproxy-death-takeover-ms', first.takeoverMs, `limit interval ${script.intervalMs} ms x fall ${script.fall} + timeout ${script.timeoutMs} ms + skew ${limit1.skew.toFixed(0)} ms = ${trackLimit.toFixed(0)} ms + margin ${TAKEOVER_MARGIN_MS} ms`);
    figure('md-haproxy-death-answer-ms', first.answerMs, `client answered through ${backup.name}`);
    expect(first.takeoverMs).toBeLessThanOrEqual(trackLimit + TAKEOVER_MARGIN_MS);
    expect(first.answerMs).toBeLessThanOrEqual(trackLimit + ANSWER_MARGIN_MS);
    expect(master.keepalived!.logs().slice(mark)).toMatch(/Entering FAULT STATE/);
    expect(lab.hasAddress(master.host, vip)).toBe(false);

    // When: haproxy is back on the old master (it rejoins as backup), then the new master's keepalived dies
    const mark2 = master.keepalived!.logLength;
    await startHaproxy(master);
    const rejoinMs = await master.keepalived!.waitForOutput(/Entering BACKUP STATE/, script.intervalMs * (script.rise + 1) + 5000, mark2);
    figure('md-rejoin-ms', rejoinMs, `${master.name} back to BACKUP after haproxy restarts (rise ${script.rise} x interval ${script.intervalMs} ms)`);
    backup.keepalived!.kill('SIGKILL', { tree: true });
    const limit2 = masterDownIntervalMs(master.vrrp);
    const second = await measureTakeover(lab, master, client, vip, url, (b) => /^frontends-\d+\n$/.test(b), limit2.total + 5000);

    // Then
    figure('md-vip-takeover-ms', second.takeoverMs, `limit 3 x ${master.vrrp.advertIntervalMs} ms + skew ${limit2.skew.toFixed(0)} ms (priority ${master.vrrp.priority}) = ${limit2.total.toFixed(0)} ms + margin ${TAKEOVER_MARGIN_MS} ms`);
    figure('md-vip-answer-ms', second.answerMs, `client answered through ${master.name}`);
    expect(second.takeoverMs).toBeLessThanOrEqual(limit2.total + TAKEOVER_MARGIN_MS);
    expect(second.answerMs).toBeLessThanOrEqual(limit2.total + ANSWER_MARGIN_MS);
  }, 45000);
});
