/**
 * The lab's amphora: Octavia's haproxy configuration rendered from a load balancer model like the
 * monsieur-deguisement stack's entrances (HTTP listener redirecting to https with an L7
 * REDIRECT_PREFIX policy, TERMINATED_HTTPS listener with the pool, HTTP monitor on /healthz,
 * ROUND_ROBIN), checked by `haproxy -c`, then run in network namespaces this test creates.
 */
import { ChildProcess, execFile, execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Amphora } from '../../lib/lab/amphora';
import { expandExpectedCodes, haproxyName, renderAmphoraConfig } from '../../lib/lab/amphora-config';
import type { LabListenerModel, LabLoadBalancerModel, LabPoolModel } from '../../lib/lab/model';

const VIP = '10.98.0.3';
const MEMBER_A = '10.98.0.11';
const MEMBER_B = '10.98.0.12';

const LB = 'openstack_lb_loadbalancer_v2.Entrances_ES_8149B3CD';
const HTTP_LISTENER = 'openstack_lb_listener_v2.Entrances_ES_Listener_351D01F9';
const TLS_LISTENER = 'openstack_lb_listener_v2.Entrances_ES_TlsListener_9E4C920C';
const POOL = 'openstack_lb_pool_v2.Entrances_ES_Pool_134FF2B0';
const MEMBER_A_KEY = 'openstack_lb_member_v2.Entrances_ES_Member-Instance10_65CF58B8';
const MEMBER_B_KEY = 'openstack_lb_member_v2.Entrances_ES_Member-Instance11_0A1B2C3D';

function model(vip: string, memberA: string, memberB: string, tlsPem: string): LabLoadBalancerModel {
  const pool: LabPoolModel = {
    key: POOL,
    name: 'monsieur-deguisement-entrances-es-members',
    protocol: 'HTTP',
    lbMethod: 'ROUND_ROBIN',
    members: [
      { key: MEMBER_A_KEY, name: 'frontends-10', address: memberA, protocolPort: 80, weight: 1, adminStateUp: true, backup: false },
      { key: MEMBER_B_KEY, name: 'frontends-11', address: memberB, protocolPort: 80, weight: 1, adminStateUp: true, backup: false },
    ],
    monitor: {
      key: 'openstack_lb_monitor_v2.Entrances_ES_Monitor_F47506C4',
      type: 'HTTP',
      delay: 2,
      timeout: 2,
      maxRetries: 2,
      maxRetriesDown: 2,
      httpMethod: 'GET',
      urlPath: '/healthz',
      expectedCodes: '200',
    },
  };
  const common = {
    connectionLimit: 4500,
    timeoutClientData: 30000,
    timeoutMemberConnect: 5000,
    timeoutMemberData: 60000,
    allowedCidrs: [],
  };
  const http: LabListenerModel = {
    ...common,
    key: HTTP_LISTENER,
    name: 'monsieur-deguisement-entrances-es-http',
    protocol: 'HTTP',
    protocolPort: 80,
    insertHeaders: { 'X-Forwarded-For': 'true', 'X-Forwarded-Port': 'true' },
    l7Policies: [
      {
        key: 'openstack_lb_l7policy_v2.Entrances_ES_HttpsRedirect_15B519FE',
        name: 'monsieur-deguisement-entrances-es-https-redirect',
        action: 'REDIRECT_PREFIX',
        position: 1,
        redirectPrefix: 'https://www.monsieurdeguisement.com',
        redirectHttpCode: 301,
        rules: [{ key: 'openstack_lb_l7rule_v2.Entrances_ES_HttpsRedirectRule_78936D30', type: 'PATH', compareType: 'STARTS_WITH', value: '/', invert: false }],
      },
    ],
  };
  const tls: LabListenerModel = {
    ...common,
    key: TLS_LISTENER,
    name: 'monsieur-deguisement-entrances-es-https',
    protocol: 'TERMINATED_HTTPS',
    protocolPort: 443,
    insertHeaders: { 'X-Forwarded-For': 'true', 'X-Forwarded-Port': 'true', 'X-Forwarded-Proto': 'true' },
    defaultPoolKey: POOL,
    tlsPem,
    tlsVersions: ['TLSv1.2', 'TLSv1.3'],
    tlsCiphers: 'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384',
    l7Policies: [],
  };
  return {
    key: LB,
    name: 'monsieur-deguisement-entrances-es',
    vipAddress: vip,
    vipSubnetKey: 'openstack_networking_subnet_v2.Dmz_Subnet_2FE92CC5',
    vipPortKey: `${LB}#vip`,
    listeners: [http, tls],
    pools: [pool],
  };
}

function selfSignedPem(dir: string): string {
  const key = path.join(dir, 'tls.key');
  const crt = path.join(dir, 'tls.crt');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', crt, '-days', '2', '-subj', '/CN=www.monsieurdeguisement.com'], {
    stdio: 'pipe',
    timeout: 30000,
  });
  return fs.readFileSync(crt, 'utf8') + fs.readFileSync(key, 'utf8');
}

/** Writes a rendering's files and config under `dir` and runs `haproxy -c -f` on it. */
function haproxyCheck(config: string, files: Record<string, string>, dir: string): string {
  for (const [f, c] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(f), { recursive: true });
    fs.writeFileSync(f, c);
  }
  const cfg = path.join(dir, 'haproxy.cfg');
  fs.writeFileSync(cfg, config);
  return execFileSync('haproxy', ['-c', '-f', cfg], { stdio: 'pipe', timeout: 30000 }).toString();
}

/** Lines of the section whose header is `header`. */
function section(config: string, header: string): string[] {
  const lines = config.split('\n');
  const start = lines.indexOf(header);
  if (start < 0) throw new Error(`no section ${header} in\n${config}`);
  const out: string[] = [];
  for (const l of lines.slice(start + 1)) {
    if (!l.startsWith(' ')) break;
    out.push(l.trim());
  }
  return out;
}

let tmp: string;
let pem: string;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hs-amphora-'));
  pem = selfSignedPem(tmp);
});

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('renderAmphoraConfig', () => {
  test('renders Octavia frontends and backends for the monsieur-deguisement entrance, and haproxy -c accepts it', () => {
    const stateDir = path.join(tmp, 'render');
    const { config, files, skipped } = renderAmphoraConfig(model('10.30.0.3', '10.30.1.11', '10.30.1.12', pem), { stateDir });
    expect(skipped).toEqual([]);

    // global / defaults as base.j2
    expect(config.startsWith(`# Configuration for loadbalancer ${LB}\nglobal\n`)).toBe(true);
    const global = section(config, 'global');
    expect(global).toEqual(expect.arrayContaining(['daemon', 'user nobody', `stats socket ${stateDir}/haproxy.sock mode 0666 level user`, 'maxconn 9000']));
    expect(section(config, 'defaults')).toEqual(['log global', 'retries 3', 'option redispatch', 'option splice-request', 'option splice-response', 'option http-keep-alive']);

    // HTTP listener: redirect to https, no default pool
    const httpName = haproxyName(HTTP_LISTENER);
    expect(section(config, `frontend ${httpName}`)).toEqual([
      'maxconn 4500',
      'bind 10.30.0.3:80',
      'mode http',
      'acl openstack_lb_l7rule_v2.Entrances_ES_HttpsRedirectRule_78936D30 path -m beg /',
      'redirect code 301 prefix https://www.monsieurdeguisement.com if openstack_lb_l7rule_v2.Entrances_ES_HttpsRedirectRule_78936D30',
      'timeout client 30000',
    ]);

    // TERMINATED_HTTPS listener with the pool
    const tlsName = haproxyName(TLS_LISTENER);
    const pemPath = path.join(stateDir, 'certs', `${tlsName}.pem`);
    expect(files[pemPath]).toBe(pem);
    const fe = section(config, `frontend ${tlsName}`);
    expect(fe).toEqual([
      'maxconn 4500',
      'redirect scheme https if !{ ssl_fc }',
      `bind 10.30.0.3:443 ssl crt ${pemPath} ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384 no-sslv3 no-tlsv10 no-tlsv11`,
      'mode http',
      `default_backend ${POOL}:${tlsName}`,
      'timeout client 30000',
    ]);
    const be = section(config, `backend ${POOL}:${tlsName}`);
    expect(be).toEqual([
      'mode http',
      'balance roundrobin',
      'timeout check 2s',
      'option httpchk GET /healthz',
      'http-check expect rstatus 200',
      'option forwardfor',
      'http-request set-header X-Forwarded-Port %[dst_port]',
      'http-request set-header X-Forwarded-Proto https',
      'fullconn 4500',
      'option allbackups',
      'timeout connect 5000',
      'timeout server 60000',
      `server ${MEMBER_A_KEY} 10.30.1.11:80 weight 1 check inter 2s fall 2 rise 2`,
      `server ${MEMBER_B_KEY} 10.30.1.12:80 weight 1 check inter 2s fall 2 rise 2`,
    ]);
    // No backend for the HTTP listener (it has no pool)
    expect(config).not.toContain(`:${httpName}\n`);

    expect(haproxyCheck(config, files, stateDir)).toMatch(/Configuration file is valid/);
  });

  test('pools, persistence, monitors, L7 rules, allowed CIDRs and skipped listeners', () => {
    const stateDir = path.join(tmp, 'render2');
    const base = model('10.30.0.3', '10.30.1.11', '10.30.1.12', pem);
    const pool = base.pools[0];
    const api: LabPoolModel = {
      key: 'openstack_lb_pool_v2.Api[0]',
      protocol: 'HTTP',
      lbMethod: 'LEAST_CONNECTIONS',
      persistence: { type: 'HTTP_COOKIE' },
      members: [
        { key: 'openstack_lb_member_v2.Api[0]', address: '10.30.2.5', protocolPort: 8080, weight: 10, adminStateUp: false, backup: false },
        { key: 'openstack_lb_member_v2.Api[1]', address: '10.30.2.6', protocolPort: 8080, weight: 5, adminStateUp: true, backup: true },
      ],
      monitor: { key: 'm', type: 'HTTP', delay: 5, timeout: 3, maxRetries: 3, maxRetriesDown: 4, urlPath: '/up', expectedCodes: '200-202,204' },
    };
    const tcp: LabPoolModel = {
      key: 'openstack_lb_pool_v2.Db',
      protocol: 'TCP',
      lbMethod: 'SOURCE_IP',
      persistence: { type: 'SOURCE_IP' },
      members: [{ key: 'openstack_lb_member_v2.Db', address: '10.30.3.5', protocolPort: 3306, weight: 1, adminStateUp: true, backup: false }],
      monitor: { key: 'm2', type: 'TCP', delay: 3, timeout: 2, maxRetries: 2, maxRetriesDown: 3 },
    };
    const app: LabPoolModel = { ...pool, key: 'openstack_lb_pool_v2.App', persistence: { type: 'APP_COOKIE', cookieName: 'PHPSESSID' }, monitor: undefined };
    const rule = (key: string, type: string, compareType: string, value: string, invert = false, key2?: string) => ({ key, type, compareType, value, invert, key2 });
    const lb: LabLoadBalancerModel = {
      ...base,
      pools: [pool, api, tcp, app],
      listeners: [
        {
          ...base.listeners[1],
          allowedCidrs: ['192.0.2.0/24', '198.51.100.7/32'],
          insertHeaders: { 'X-Forwarded-Proto': 'true', 'X-SSL-Client-CN': 'true' },
          l7Policies: [
            { key: 'p3', action: 'REJECT', position: 3, rules: [rule('r5', 'HEADER', 'CONTAINS', 'bad bot', false, 'User-Agent')] },
            { key: 'p1', action: 'REDIRECT_TO_POOL', position: 1, redirectPoolKey: api.key, rules: [rule('r1', 'PATH', 'STARTS_WITH', '/api'), rule('r2', 'HOST_NAME', 'EQUAL_TO', 'api.example.com')] },
            { key: 'p2', action: 'REDIRECT_TO_POOL', position: 2, redirectPoolKey: app.key, rules: [rule('r3', 'COOKIE', 'REGEX', '^a.*', true, 'beta'), rule('r4', 'FILE_TYPE', 'EQUAL_TO', 'php')] },
            { key: 'p4', action: 'REDIRECT_TO_URL', position: 4, redirectUrl: 'https://example.com/moved', rules: [rule('r6', 'PATH', 'ENDS_WITH', '.old')] },
            { key: 'p5', action: 'REJECT', position: 5, rules: [] },
          ],
        },
        { key: 'openstack_lb_listener_v2.Db', protocol: 'TCP', protocolPort: 3306, insertHeaders: {}, allowedCidrs: [], defaultPoolKey: tcp.key, l7Policies: [], timeoutTcpInspect: 2000 },
        { key: 'openstack_lb_listener_v2.Dns', protocol: 'UDP', protocolPort: 53, insertHeaders: {}, allowedCidrs: [], l7Policies: [] },
      ],
    };
    const { config, files, skipped } = renderAmphoraConfig(lb, { stateDir, connectionLogging: false });
    expect(skipped).toEqual([{ key: 'openstack_lb_listener_v2.Dns', reason: expect.stringMatching(/UDP/) }]);
    expect(section(config, 'defaults')[0]).toBe('no log');
    expect(section(config, 'global')).toContain('maxconn 54500');

    const tlsName = haproxyName(TLS_LISTENER);
    const fe = section(config, `frontend ${tlsName}`);
    const cidrFile = path.join(stateDir, `${tlsName}.cidrs`);
    expect(files[cidrFile]).toBe('192.0.2.0/24\n198.51.100.7/32\n');
    expect(fe).toContain(`tcp-request connection reject unless { src -f ${cidrFile} }`);
    const rules = fe.filter((l) => /^(acl|http-request|redirect|use_backend|default_backend)/.test(l));
    expect(rules).toEqual([
      'redirect scheme https if !{ ssl_fc }',
      'acl r1 path -m beg /api',
      'acl r2 req.hdr(host) -i -m str api.example.com',
      `use_backend openstack_lb_pool_v2.Api_0_:${tlsName} if r1 r2`,
      'acl r3 req.cook(beta) -m reg ^a.*',
      'acl r4 path_end -m str php',
      `use_backend openstack_lb_pool_v2.App:${tlsName} if !r3 r4`,
      'acl r5 req.hdr(User-Agent) -m sub bad\\ bot',
      'http-request deny if r5',
      'acl r6 path -m end .old',
      'redirect location https://example.com/moved if r6',
      `default_backend ${POOL}:${tlsName}`,
    ]);

    const apiBe = section(config, `backend openstack_lb_pool_v2.Api_0_:${tlsName}`);
    expect(apiBe).toEqual(
      expect.arrayContaining([
        'balance leastconn',
        'cookie SRV insert indirect nocache',
        'timeout check 3s',
        'option httpchk GET /up',
        'http-check expect rstatus 200|201|202|204',
        'http-request set-header X-Forwarded-Proto https',
        'http-request set-header X-SSL-Client-CN %{+Q}[ssl_c_s_dn(cn)]',
        'server openstack_lb_member_v2.Api_0_ 10.30.2.5:8080 weight 10 check inter 5s fall 4 rise 3 cookie openstack_lb_member_v2.Api_0_ disabled',
        'server openstack_lb_member_v2.Api_1_ 10.30.2.6:8080 weight 5 check inter 5s fall 4 rise 3 cookie openstack_lb_member_v2.Api_1_ backup',
      ]),
    );
    expect(apiBe).not.toContain('option forwardfor');
    const appBe = section(config, `backend openstack_lb_pool_v2.App:${tlsName}`);
    expect(appBe).toEqual(
      expect.arrayContaining(['stick-table type string len 64 size 10k', 'stick store-response res.cook(PHPSESSID)', 'stick match req.cook(PHPSESSID)']),
    );
    expect(appBe.some((l) => l.includes('check'))).toBe(false);

    const dbFe = section(config, 'frontend openstack_lb_listener_v2.Db');
    expect(dbFe).toEqual(['maxconn 50000', 'bind 10.30.0.3:3306', 'mode tcp', 'default_backend openstack_lb_pool_v2.Db:openstack_lb_listener_v2.Db', 'timeout client 50000', 'tcp-request inspect-delay 2000']);
    expect(section(config, 'backend openstack_lb_pool_v2.Db:openstack_lb_listener_v2.Db')).toEqual([
      'mode tcp',
      'balance source',
      'stick-table type ip size 10k',
      'stick on src',
      'timeout check 2s',
      'fullconn 50000',
      'option allbackups',
      'timeout connect 5000',
      'timeout server 50000',
      'server openstack_lb_member_v2.Db 10.30.3.5:3306 weight 1 check inter 3s fall 3 rise 2',
    ]);

    expect(haproxyCheck(config, files, stateDir)).toMatch(/Configuration file is valid/);
  });

  test('expected codes expand like Octavia', () => {
    expect(expandExpectedCodes('200')).toEqual(['200']);
    expect(expandExpectedCodes('200-204')).toEqual(['200', '201', '202', '203', '204']);
    expect(expandExpectedCodes('200,202')).toEqual(['200', '202']);
    expect(expandExpectedCodes('302, 200-201')).toEqual(['200', '201', '302']);
  });
});

// ---------------------------------------------------------------------------------------------
// Behaviour: an amphora in namespace hs-ta-a1 (VIP), members in hs-ta-m1, joined by a veth pair.

const NS_AMP = 'hs-ta-a1';
const NS_MEM = 'hs-ta-m1';

const MEMBER_SERVER = `
import http.server, sys
addr, name, status_file = sys.argv[1], sys.argv[2], sys.argv[3]
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        code = 200
        if self.path == '/healthz':
            with open(status_file) as f:
                code = int(f.read().strip() or '200')
        body = ('%s proto=%s port=%s for=%s\\n' % (name, self.headers.get('X-Forwarded-Proto'), self.headers.get('X-Forwarded-Port'), self.headers.get('X-Forwarded-For'))).encode()
        self.send_response(code)
        self.send_header('Content-Type', 'text/plain')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer((addr, 80), H).serve_forever()
`;

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { stdio: 'pipe', timeout: 15000 }).toString();
}

function shQuiet(cmd: string, args: string[]): void {
  try {
    execFileSync(cmd, args, { stdio: 'pipe', timeout: 15000 });
  } catch {
    /* absent */
  }
}

function curl(ns: string, args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile('ip', ['netns', 'exec', ns, 'curl', '-s', '--max-time', '3', ...args], { timeout: 10000 }, (err, stdout) => {
      resolve({ code: err ? 1 : 0, out: String(stdout) });
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function cleanupNetns(): void {
  shQuiet('ip', ['netns', 'del', NS_AMP]);
  shQuiet('ip', ['netns', 'del', NS_MEM]);
}

describe('Amphora in a network namespace', () => {
  const members: ChildProcess[] = [];
  let amphora: Amphora | undefined;
  let statusB: string;
  let dir: string;

  beforeAll(async () => {
    dir = path.join(tmp, 'run');
    fs.mkdirSync(dir, { recursive: true });
    cleanupNetns();
    sh('ip', ['netns', 'add', NS_AMP]);
    sh('ip', ['netns', 'add', NS_MEM]);
    sh('ip', ['-n', NS_AMP, 'link', 'add', 'hs-ta-a1v', 'type', 'veth', 'peer', 'name', 'hs-ta-m1v', 'netns', NS_MEM]);
    sh('ip', ['-n', NS_AMP, 'addr', 'add', `${VIP}/24`, 'dev', 'hs-ta-a1v']);
    sh('ip', ['-n', NS_MEM, 'addr', 'add', `${MEMBER_A}/24`, 'dev', 'hs-ta-m1v']);
    sh('ip', ['-n', NS_MEM, 'addr', 'add', `${MEMBER_B}/24`, 'dev', 'hs-ta-m1v']);
    for (const ns of [NS_AMP, NS_MEM]) {
      sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      sh('ip', ['-n', ns, 'link', 'set', ns === NS_AMP ? 'hs-ta-a1v' : 'hs-ta-m1v', 'up']);
    }
    const script = path.join(dir, 'member.py');
    fs.writeFileSync(script, MEMBER_SERVER);
    const statusA = path.join(dir, 'status-a');
    statusB = path.join(dir, 'status-b');
    fs.writeFileSync(statusA, '200');
    fs.writeFileSync(statusB, '200');
    for (const [addr, name, status] of [
      [MEMBER_A, 'member-a', statusA],
      [MEMBER_B, 'member-b', statusB],
    ]) {
      members.push(spawn('ip', ['netns', 'exec', NS_MEM, 'python3', script, addr, name, status], { stdio: 'ignore' }));
    }
    // Members answer before the amphora starts (bounded).
    for (const addr of [MEMBER_A, MEMBER_B]) {
      const deadline = Date.now() + 10000;
      while ((await curl(NS_MEM, [`http://${addr}/healthz`])).code !== 0) {
        if (Date.now() > deadline) throw new Error(`member ${addr} did not start`);
        await sleep(100);
      }
    }
    amphora = await Amphora.start(model(VIP, MEMBER_A, MEMBER_B, pem), { namespace: NS_AMP, workDir: path.join(dir, 'amphora') });
  }, 40000);

  afterAll(async () => {
    try {
      await amphora?.stop();
    } finally {
      for (const m of members) {
        if (m.pid !== undefined && m.exitCode === null) {
          try {
            process.kill(m.pid, 'SIGKILL');
          } catch {
            /* gone */
          }
        }
      }
      cleanupNetns();
    }
  }, 20000);

  test('the HTTP listener redirects 301 to the https prefix', async () => {
    const r = await curl(NS_AMP, ['-o', '/dev/null', '-w', '%{http_code} %{redirect_url}', `http://${VIP}/fr/costumes?x=1`]);
    expect(r.out).toBe('301 https://www.monsieurdeguisement.com/fr/costumes?x=1');
  });

  test('the TERMINATED_HTTPS listener balances round robin over both members, with the inserted headers', async () => {
    const bodies: string[] = [];
    for (let i = 0; i < 4; i++) bodies.push((await curl(NS_AMP, ['-k', `https://${VIP}/`])).out.trim());
    const names = bodies.map((b) => b.split(' ')[0]);
    expect(new Set(names)).toEqual(new Set(['member-a', 'member-b']));
    expect(names[0]).not.toBe(names[1]);
    expect(names[2]).toBe(names[0]);
    expect(names[3]).toBe(names[1]);
    expect(bodies[0]).toContain(`proto=https port=443 for=${VIP}`);
  });

  test('a member whose /healthz returns 500 is taken out within delay * fall seconds, and back after rise', async () => {
    const { delay, maxRetriesDown, maxRetries } = { delay: 2, maxRetriesDown: 2, maxRetries: 2 };
    fs.writeFileSync(statusB, '500');
    const t0 = Date.now();
    let consecutiveA = 0;
    let elapsed = -1;
    while (Date.now() - t0 < (delay * maxRetriesDown + 4) * 1000) {
      const name = (await curl(NS_AMP, ['-k', `https://${VIP}/`])).out.split(' ')[0];
      consecutiveA = name === 'member-a' ? consecutiveA + 1 : 0;
      if (consecutiveA === 1) elapsed = Date.now() - t0;
      if (consecutiveA >= 4) break;
      await sleep(100);
    }
    expect(consecutiveA).toBeGreaterThanOrEqual(4);
    // Taken out within delay*fall, with a small slack for the check's phase and the polling.
    expect(elapsed).toBeLessThanOrEqual(delay * maxRetriesDown * 1000 + 1000);

    fs.writeFileSync(statusB, '200');
    const t1 = Date.now();
    let seenB = false;
    while (!seenB && Date.now() - t1 < (delay * maxRetries + 4) * 1000) {
      seenB = (await curl(NS_AMP, ['-k', `https://${VIP}/`])).out.startsWith('member-b');
      if (!seenB) await sleep(100);
    }
    expect(seenB).toBe(true);
  }, 30000);

  test('reload() applies a member deleted and created again, as Octavia does, without a restart', async () => {
    const a = amphora!;
    const both = model(VIP, MEMBER_A, MEMBER_B, pem);
    const onlyA: LabLoadBalancerModel = { ...both, pools: both.pools.map((p) => ({ ...p, members: p.members.filter((m) => m.address === MEMBER_A) })) };
    const pid = a.pid;
    await a.reload(onlyA);
    expect(a.pid).toBe(pid);
    expect(fs.readFileSync(a.configPath, 'utf8')).not.toContain(MEMBER_B);
    const names: string[] = [];
    for (let i = 0; i < 4; i++) names.push((await curl(NS_AMP, ['-k', `https://${VIP}/`])).out.split(' ')[0]);
    expect(names).toEqual(['member-a', 'member-a', 'member-a', 'member-a']);
    await a.reload(both);
    const t0 = Date.now();
    let seenB = false;
    while (!seenB && Date.now() - t0 < 15_000) {
      seenB = (await curl(NS_AMP, ['-k', `https://${VIP}/`])).out.startsWith('member-b');
      if (!seenB) await sleep(200);
    }
    expect(seenB).toBe(true);
    await expect(a.reload({ ...both, key: 'openstack_lb_loadbalancer_v2.Other' })).rejects.toThrow(/cannot reload as/);
  }, 40000);

  test('stop() ends haproxy by its PID', async () => {
    const a = amphora!;
    expect(a.running).toBe(true);
    await a.stop();
    expect(a.running).toBe(false);
    expect(() => process.kill(a.pid, 0)).toThrow();
    expect((await curl(NS_AMP, ['-k', `https://${VIP}/`])).code).not.toBe(0);
  });

  test('a start that cannot listen fails and leaves nothing running', async () => {
    await expect(Amphora.start(model('10.98.7.7', MEMBER_A, MEMBER_B, pem), { namespace: NS_AMP, workDir: path.join(dir, 'bad'), startTimeoutMs: 3000 })).rejects.toThrow(
      /haproxy exited|not listening/,
    );
    const left = (() => {
      try {
        return execFileSync('pgrep', ['-f', path.join(dir, 'bad', 'haproxy.cfg')], { stdio: 'pipe' }).toString().trim();
      } catch {
        return ''; // pgrep exits 1 when nothing matches
      }
    })();
    expect(left).toBe('');
  });
});
