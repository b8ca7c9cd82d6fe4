/**
 * Member failure behind the real haproxy, from the Monsieur Déguisement stack's rendered configs
 * (keepalived+haproxy variant, the ES entrance): the haproxy node is a lab host with its planned
 * address, the VIP added as its keepalived.conf's virtual_ipaddress says (keepalived itself is proven
 * in vip-failover.test.ts), its rendered nftables ruleset and /etc/haproxy/haproxy.cfg unmodified.
 * The front-ends are lab hosts behind the stack's router: a few run a tiny HTTP server, the others
 * are planned but absent, as when the tier runs below its maximum count. A client on the DMZ runs a
 * bounded request loop against the VIP while one member crashes.
 *
 * Runtime environment for the rendered config, as on the host (nothing in the config is rewritten):
 * - /run/haproxy exists (the Debian unit's RuntimeDirectory=haproxy); /run is private to the host,
 *   so the stats socket /run/haproxy/admin.sock is the host's own.
 * - `log /dev/log` finds no syslog socket in the lab: haproxy drops the logs; the test reads the
 *   stats socket (`show stat`) instead.
 * - haproxy runs with `-db` (one foreground process, a child of the test) instead of the unit's -Ws.
 */
import { Testing } from 'cdktf';
import { HaproxyBalancer } from '../../lib';
import { NIC_SCRIPT_PATH } from '../../lib/compute/nic-resolution';
import { selfSignedCertificate } from '../../lib/lab/test-variables';
import { WEB_TLS_PATHS } from '../../lib/web/web-tier';
import { MdEntries, MonsieurDeguisementStack } from '../../stacks/monsieur-deguisement';
import { PopgomStack } from '../../stacks/popgom';
import { figure, haproxyStat, hostFile, LabHost, LabProcess, plannedHost, plannedRouter, poolClient, readText, useLab, vswitchesOf } from '../support/lab';

/** Front-ends that run (the others are planned, listed in haproxy.cfg, and absent). */
const RUNNING_MEMBERS = 3;
/** The loop: at most 2,000 requests or 10 s, 4 in flight, paced at 150 requests/s. */
const LOOP = { count: 2000, durationMs: 10000, concurrency: 4, ratePerSecond: 150, timeoutMs: 15000 } as const;
/** The member crashes once this many requests have completed (about 2 s into the loop). */
const CRASH_AFTER_REQUESTS = 300;
/** Polling `show stat` every 50 ms, plus scheduling on a busy runner. */
const DETECTION_MARGIN_MS = 500;

/** The health-check and retry settings of a rendered haproxy.cfg. */
interface HaproxyChecks {
  readonly interMs: number;
  readonly fall: number;
  readonly rise: number;
  readonly checkTimeoutMs: number;
  readonly retries: number;
  readonly redispatch: boolean;
  readonly servers: { readonly name: string; readonly address: string; readonly port: number }[];
  readonly bind: string;
}

function ms(value: string): number {
  const m = /^(\d+)(ms|s)?$/.exec(value);
  if (!m) throw new Error(`not a haproxy time: ${value}`);
  return Number(m[1]) * (m[2] === 's' ? 1000 : 1);
}

function parseHaproxy(cfg: string): HaproxyChecks {
  const get = (re: RegExp, text = cfg): string => {
    const m = re.exec(text);
    if (!m) throw new Error(`haproxy.cfg has no ${re}`);
    return m[1];
  };
  const defaultServer = get(/^\s*default-server\s+(.*)$/m);
  return {
    interMs: ms(get(/\binter\s+(\S+)/, defaultServer)),
    fall: Number(get(/\bfall\s+(\d+)/, defaultServer)),
    rise: Number(get(/\brise\s+(\d+)/, defaultServer)),
    checkTimeoutMs: ms(get(/^\s*timeout check\s+(\S+)/m)),
    retries: Number(get(/^\s*retries\s+(\d+)/m)),
    redispatch: /^\s*option redispatch\b/m.test(cfg),
    // The front-ends' pool only (the load-shedding mini-site is a backend of its own).
    servers: [...get(/^backend members\n([\s\S]*?)(?=^\S|(?![\s\S]))/m).matchAll(/^\s*server\s+(\S+)\s+([\d.]+):(\d+)/gm)].map((m) => ({ name: m[1], address: m[2], port: Number(m[3]) })),
    bind: get(/^\s*bind\s+(\S+)/m),
  };
}

describe('Monsieur Déguisement: haproxy removes a crashed front-end without failing a request', () => {
  const lab = useLab('member-failure');
  // Plain HTTP on the VIP: what is proven is the pool's failover, the same behind the HTTPS bind.
  const stack = new MonsieurDeguisementStack(Testing.app(), 'md', { entries: MdEntries.haproxyPairs(), https: false });
  const entrance = stack.entrances.entrances[0];
  const balancer = entrance.balancer as HaproxyBalancer;
  const node = balancer.nodes.instances[0].hostname;
  const cfgText = hostFile(stack, node, '/etc/haproxy/haproxy.cfg');
  const cfg = parseHaproxy(cfgText);
  const servers: Record<string, LabProcess> = {};
  let haproxyHost: LabHost;
  let client: LabHost;
  let haproxyStartedAt = 0;

  const statusOf = async (): Promise<Record<string, Record<string, string>>> => {
    const rows = await haproxyStat(haproxyHost.path('/run/haproxy/admin.sock'));
    return Object.fromEntries(rows.filter((r) => r.pxname === 'members' && r.svname !== 'BACKEND' && r.svname !== 'FRONTEND').map((r) => [r.svname, r]));
  };

  beforeAll(async () => {
    await lab.addHost('router', plannedRouter(stack));
    const members = stack.frontends.cluster.instances.slice(0, RUNNING_MEMBERS);
    await Promise.all(members.map(async (i) => {
      servers[i.hostname] = await lab.startHttpServer(await lab.addHost(i.hostname, plannedHost(stack, i.hostname)), { port: stack.frontends.httpPort });
    }));
    haproxyHost = await lab.addHost(node, plannedHost(stack, node, { privateDirs: ['/etc/haproxy'] }));
    // The VIP, as keepalived's virtual_ipaddress line adds it on the master, on the interface the
    // rendered boot script finds for `$NIC` (the one carrying the node's address).
    const vipLine = /virtual_ipaddress \{\s*(\S+) dev (\S+)/.exec(hostFile(stack, node, '/etc/keepalived/keepalived.conf'))!;
    const nicScript = lab.exec(haproxyHost, ['sh', haproxyHost.stage('hosting-stacks-nic', hostFile(stack, node, NIC_SCRIPT_PATH))]);
    const nic = / is on (\S+)/.exec(nicScript.stdout)?.[1];
    if (!nicScript.ok || !nic) throw new Error(`hosting-stacks-nic on ${node}: ${nicScript.output}`);
    const add = lab.exec(haproxyHost, ['ip', 'addr', 'add', vipLine[1], 'dev', vipLine[2] === '$NIC' ? nic : vipLine[2]]);
    if (!add.ok) throw new Error(add.output);
    const nft = lab.exec(haproxyHost, ['nft', '-f', haproxyHost.stage('nftables.conf', hostFile(stack, node, '/etc/nftables.conf'))]);
    if (!nft.ok) throw new Error(nft.output);
    haproxyHost.writeFile('/etc/haproxy/haproxy.cfg', cfgText);
    haproxyHost.mkdir('/run/haproxy');
    haproxyStartedAt = Date.now();
    await lab.spawn(haproxyHost, ['haproxy', '-db', '-f', '/etc/haproxy/haproxy.cfg'], { readyWhen: { tcp: { address: balancer.vipAddress, port: balancer.listenerPort } } });
    client = await lab.addHost('client', poolClient(vswitchesOf(stack).find((v) => v.contains(balancer.vipAddress))!));
  }, 40000);

  test('given the rendered haproxy.cfg, then it lists every planned front-end, checks /healthz, retries and redispatches', () => {
    expect(cfg.bind).toBe(`${balancer.vipAddress}:${balancer.listenerPort}`);
    expect(cfg.servers.map((s) => s.address)).toEqual(stack.frontends.cluster.instances.map((i) => i.address));
    expect(cfg.servers.length).toBeGreaterThan(RUNNING_MEMBERS);
    expect(cfg.retries).toBeGreaterThan(0);
    expect(cfg.redispatch).toBe(true);
    expect(cfgText).toMatch(/option httpchk GET \/healthz/);
  });

  test('given planned-but-absent members, then health checks mark them DOWN and keep the running ones UP', async () => {
    // Each absent member's check times out (connect bounded by min(timeout connect, inter), then
    // timeout check); `fall` of them, `inter` apart, take it down.
    const limit = cfg.fall * (cfg.interMs + cfg.checkTimeoutMs);
    const running = Object.keys(servers);
    await lab.waitFor('absent members DOWN, running ones UP', async () => {
      const st = await statusOf();
      return cfg.servers.every((s) => (running.includes(s.name) ? st[s.name].status === 'UP' : st[s.name].status.startsWith('DOWN')));
    }, { timeoutMs: limit + 5000, intervalMs: 100 });
    const waited = Date.now() - haproxyStartedAt;
    figure('md-absent-members-down-ms', waited, `${cfg.servers.length - running.length} absent of ${cfg.servers.length}; limit fall ${cfg.fall} x (inter ${cfg.interMs} + timeout check ${cfg.checkTimeoutMs}) = ${limit} ms from haproxy's start`);
    expect(waited).toBeLessThanOrEqual(limit + DETECTION_MARGIN_MS);
    const r = await lab.curl(client, `http://${balancer.vipAddress}/`, 3000);
    expect(r.ok).toBe(true);
    expect(running).toContain(r.body.trim());
  }, 30000);

  test('given a bounded request loop on the VIP, when a running member crashes, then no request fails and haproxy marks it DOWN within inter x fall + timeout check', async () => {
    // Given
    const victim = stack.frontends.cluster.instances[1].hostname;
    const loop = await lab.requestLoop(client, `http://${balancer.vipAddress}/`, LOOP);
    await loop.whenCompleted(CRASH_AFTER_REQUESTS, 10000);

    // When: the member crashes (SIGKILL at an instant it has no connection open: a request in
    // progress on a dying server is lost whatever the balancer does, and the generated config
    // rightly retries only connection failures, never a request a server may have half-processed)
    servers[victim].kill('SIGUSR2');
    await servers[victim].exited;
    const crashedAt = Date.now();
    const limit = cfg.interMs * cfg.fall + cfg.checkTimeoutMs;
    const downMs = await lab.waitFor(`${victim} DOWN`, async () => (await statusOf())[victim].status.startsWith('DOWN'), { timeoutMs: limit + 5000, intervalMs: 50 });
    const downAt = crashedAt + downMs;
    const report = await loop.report;
    const stat = (await statusOf())[victim];

    // Then
    const exposed = report.samples.filter((s) => s.at >= crashedAt && s.at <= downAt).length;
    figure('md-member-down-ms', downMs, `${victim} crashed; limit inter ${cfg.interMs} x fall ${cfg.fall} + timeout check ${cfg.checkTimeoutMs} = ${limit} ms + margin ${DETECTION_MARGIN_MS} ms`);
    figure('md-member-failure-requests', `${report.ok}/${report.sent}`, `failed ${report.failed.length}; ${exposed} started while ${victim} was dead but not yet DOWN; haproxy retried ${stat.wretr} and redispatched ${stat.wredis} of its connections (retries ${cfg.retries}, option redispatch)`);
    figure('md-member-failure-latency-ms', `p50=${report.latency.p50},p95=${report.latency.p95},p99=${report.latency.p99},max=${report.latency.max}`, `${report.sent} requests in ${report.durationMs} ms, served by ${JSON.stringify(report.byBody)}`);
    expect(report.failed).toEqual([]);
    expect(report.sent).toBeGreaterThan(CRASH_AFTER_REQUESTS * 2);
    expect(downMs).toBeLessThanOrEqual(limit + DETECTION_MARGIN_MS);
    // The window was real: requests were sent to the dead member and rescued by retry + redispatch.
    expect(exposed).toBeGreaterThan(0);
    expect(Number(stat.wredis)).toBeGreaterThan(0);
    // After DOWN, the dead member serves nothing (nothing can: it is dead) and the survivors carry the load.
    const survivors = Object.keys(servers).filter((s) => s !== victim);
    for (const s of survivors) expect(report.byBody[s]).toBeGreaterThan(0);
    expect(report.samples.filter((s) => s.at > crashedAt && s.body === victim)).toEqual([]);
  }, 40000);
});

/**
 * POPGOM's web tier: the rendered apache2.conf (a complete file: mod_proxy_balancer with
 * mod_proxy_hcheck) on web-1, in front of tiny servers on the application servers' planned
 * addresses and port, behind the stack's router. Runtime environment, as apache2.service leaves it:
 * /run/apache2 and /var/log/apache2 exist (private to the host), the rendered /var/www/health/healthz
 * is in place; `apache2 -DFOREGROUND` keeps it a child of the test.
 *
 * Nginx upstreams: no stack's nginx proxies (the DMZ origin serves files, the back-office's nginx
 * passes PHP to its local PHP-FPM socket): the last test proves it, so an nginx upstream added later
 * comes with its own member-failure test.
 */
describe('POPGOM: Apache\'s balancer fails over from a crashed application server without failing a request', () => {
  const lab = useLab('member-failure-apache');
  const stack = new PopgomStack(Testing.app(), 'popgom');
  const web = stack.web.cluster.instances[0].hostname;
  const conf = hostFile(stack, web, '/etc/apache2/apache2.conf');
  const members = [...conf.matchAll(/BalancerMember "http:\/\/([\d.]+):(\d+)"([^\n]*)/g)].map((m) => ({ address: m[1], port: Number(m[2]), options: m[3] }));
  const servers: Record<string, LabProcess> = {};
  let webHost: LabHost;
  let client: LabHost;

  beforeAll(async () => {
    await lab.addHost('router', plannedRouter(stack));
    await Promise.all(stack.app.cluster.instances.map(async (i) => {
      const member = members.find((m) => m.address === i.address);
      if (!member) throw new Error(`${i.hostname} (${i.address}) is not a BalancerMember of ${web}`);
      servers[i.hostname] = await lab.startHttpServer(await lab.addHost(i.hostname, plannedHost(stack, i.hostname)), { port: member.port });
    }));
    webHost = await lab.addHost(web, plannedHost(stack, web, { privateDirs: ['/etc/apache2', '/var/log', '/var/www'] }));
    webHost.writeFile('/etc/apache2/apache2.conf', conf);
    // The TLS pair cloud-init decodes at boot from the stack's variables: a test pair here.
    const tls = selfSignedCertificate(web);
    webHost.writeFile(WEB_TLS_PATHS.certificate, tls.certificatePem);
    webHost.writeFile(WEB_TLS_PATHS.privateKey, tls.privateKeyPem, { mode: 0o600 });
    for (const f of stack.renderHostFiles().filter((x) => x.host === web && x.path.startsWith('/var/www/'))) webHost.writeFile(f.path, f.content);
    webHost.mkdir('/run/apache2');
    webHost.mkdir('/var/log/apache2', 'root:adm', 0o750);
    await lab.spawn(webHost, ['apache2', '-DFOREGROUND', '-f', '/etc/apache2/apache2.conf'], { readyWhen: { tcp: { address: stack.web.cluster.instances[0].address, port: stack.web.listenPort } } });
    client = await lab.addHost('client', poolClient(stack.web.cluster.vswitch));
  }, 40000);

  test('given the rendered apache2.conf, then every application server is a checked BalancerMember with a retry period', () => {
    expect(members.map((m) => m.address)).toEqual(stack.app.cluster.instances.map((i) => i.address));
    for (const m of members) expect(m.options).toMatch(/retry=\d+.*hcuri=\/healthz/);
  });

  test('given a bounded request loop on web-1, when an application server crashes, then no request fails', async () => {
    // Given: customers arrive over HTTPS (plain HTTP redirects there)
    const address = stack.web.cluster.instances[0].address;
    const redirect = await lab.curl(client, `http://${address}:${stack.web.listenPort}/`, 3000);
    expect(redirect.status).toBe(301);
    const url = `https://${address}:${stack.web.tls!.port}/`;
    const first = await lab.curl(client, url, 3000);
    expect(first.ok).toBe(true);
    const loop = await lab.requestLoop(client, url, LOOP);
    await loop.whenCompleted(CRASH_AFTER_REQUESTS, 10000);

    // When: one application server crashes between two requests
    const victim = stack.app.cluster.instances[0].hostname;
    servers[victim].kill('SIGUSR2');
    await servers[victim].exited;
    const crashedAt = Date.now();
    const report = await loop.report;

    // Then: Apache put the member in error (its log says so) and every request was answered by the survivor
    const errorLog = readText(webHost.path('/var/log/apache2/error.log'));
    const exposed = report.samples.filter((s) => s.at >= crashedAt).length;
    figure('popgom-apache-member-failure-requests', `${report.ok}/${report.sent}`, `failed ${report.failed.length}; ${exposed} sent after ${victim} crashed; served by ${JSON.stringify(report.byBody)}`);
    figure('popgom-apache-member-failure-latency-ms', `p50=${report.latency.p50},p95=${report.latency.p95},p99=${report.latency.p99},max=${report.latency.max}`, `${report.sent} requests in ${report.durationMs} ms`);
    expect(report.failed).toEqual([]);
    expect(exposed).toBeGreaterThan(0);
    expect(report.samples.filter((s) => s.at > crashedAt && s.body === victim)).toEqual([]);
    expect(errorLog).toMatch(new RegExp(`(AH00957|AH00959|AH01114|AH00940)[^\\n]*${stack.app.cluster.instances[0].address.replace(/\./g, '\\.')}`));
  }, 40000);
});

describe('nginx upstreams', () => {
  test('given every stack, then no rendered nginx.conf proxies to an upstream (nothing to fail over)', () => {
    const stacks = [new PopgomStack(Testing.app(), 'popgom'), new MonsieurDeguisementStack(Testing.app(), 'md', { entries: MdEntries.haproxyPairs() })];
    const nginx = stacks.flatMap((s) => s.renderHostFiles()).filter((f) => f.path.startsWith('/etc/nginx/'));
    expect(nginx.length).toBeGreaterThan(0);
    expect(nginx.filter((f) => /^\s*(upstream\s|proxy_pass\s)/m.test(f.content)).map((f) => `${f.host}:${f.path}`)).toEqual([]);
  });
});
