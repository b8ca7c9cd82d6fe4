import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigSyntax, ExternalNetwork, Flavor, PrivateVSwitch, Secret } from '../../lib';
import {
  CACHE_HEALTH_PATH, CACHE_HEALTH_SOCKET, HAPROXY_CERTIFICATE_PATH, HAPROXY_TRACK_SCRIPT, HaproxyBalancer, HaproxyBalancerProps, NGINX_TRACK_SCRIPT,
} from '../../lib/balancing/haproxy-balancer';
import { NginxCacheConfigModel, renderNginxCacheConfig } from '../../lib/balancing/cache-nginx-config';
import { LoadShedding, MAGENTO1_SESSION_COOKIE, MiniSite } from '../../lib/balancing/load-shedding';
import {
  CacheKey, CachedPaths, DEFAULT_BYPASS_COOKIES, DEFAULT_CACHE_VALIDITY, MAGENTO1_PRIVATE_PATHS, ResponseCacheOptions,
} from '../../lib/balancing/response-cache';
import { intermediateCipherString, MOZILLA_INTERMEDIATE_PROTOCOLS } from '../../lib/security/tls-policy';
import { checkHostFile, nginxForCheck } from '../support/config-checks';
import { checkNginx, requireBinary, run, scratch } from '../support/daemons';
import { fakeTier, hostFile as file, resourcesOf, synthJson, testStack } from '../support/synth';

const ADMIN = '203.0.113.0/24';

function fixture(props: Partial<HaproxyBalancerProps> = {}) {
  const stack = testStack();
  const dmz = new PrivateVSwitch(stack, 'Dmz', { cidr: '10.0.1.0/24', externalNetwork: ExternalNetwork.ovh() });
  const access = new PrivateVSwitch(stack, 'Access', { cidr: '10.0.2.0/24', router: dmz.router });
  const web = fakeTier(stack, 'Web', access, 3);
  const lb = new HaproxyBalancer(stack, 'Lb', { vswitch: dmz, adminCidr: ADMIN, ...props });
  return { stack, dmz, access, web, lb };
}

function withCache(cache: ResponseCacheOptions = {}, props: Partial<HaproxyBalancerProps> = {}) {
  const f = fixture({ cache, ...props });
  f.lb.addTarget(f.web, { port: 80 });
  return f;
}

const withTls = (cache: ResponseCacheOptions = {}) => {
  const stack = testStack();
  const dmz = new PrivateVSwitch(stack, 'Dmz', { cidr: '10.0.1.0/24', externalNetwork: ExternalNetwork.ovh() });
  const web = fakeTier(stack, 'Web', dmz, 2);
  const lb = new HaproxyBalancer(stack, 'Lb', { vswitch: dmz, adminCidr: ADMIN, cache, tls: { certificate: Secret.variable(stack, 'entry_tls_pem', 'PEM bundle') } });
  lb.addTarget(web, { port: 80 });
  return { stack, lb, web };
};

function lines(text: string): string[] {
  return text.split('\n').map((l) => l.trim());
}

/** The trimmed lines of the last nginx block opened by `header` (a line ending in `{`) up to its closing brace. */
function block(config: string, header: string): string[] {
  const all = lines(config);
  const start = all.lastIndexOf(`${header} {`);
  if (start < 0) throw new Error(`no block '${header}'`);
  let depth = 0;
  const out: string[] = [];
  for (const l of all.slice(start)) {
    if (l.endsWith('{')) depth++;
    if (l === '}') depth--;
    out.push(l);
    if (depth === 0) break;
  }
  return out.slice(1, -1).filter((l) => l !== '' && !l.startsWith('#'));
}

/** A model as the balancer makes it, for the pure renderer tests. */
function model(overrides: Partial<NginxCacheConfigModel> = {}): NginxCacheConfigModel {
  return {
    hostname: 'lb-1',
    user: 'www-data',
    pidFile: '/run/nginx.pid',
    errorLog: '/var/log/nginx/error.log',
    accessLog: '/var/log/nginx/access.log',
    tempDir: '/var/lib/nginx',
    workerConnections: 6000,
    workerRlimitNofile: 12000,
    listen: '10.0.1.6:80',
    upstream: { address: '127.0.0.1', port: 8080, keepalive: 64, keepaliveTimeoutSeconds: 4 },
    healthSocket: '/run/hosting-stacks-nginx-health.sock',
    healthPath: '/hosting-stacks-health',
    cache: {
      path: '/var/lib/nginx/entry-cache',
      zoneName: 'entry',
      keysZoneMb: 32,
      maxSizeGb: 5,
      inactiveSeconds: 86400,
      key: '$scheme$host$request_uri',
      validity: [{ statuses: [200, 301], seconds: 600 }, { statuses: [404], seconds: 60 }],
      bypassCookies: ['frontend', 'cart.id'],
      bypassPaths: ['/checkout', '/customer/account.php'],
      lockTimeoutSeconds: 5,
    },
    timeouts: { connectSeconds: 5, upstreamSeconds: 100, clientHeaderSeconds: 10, clientSeconds: 30, keepaliveSeconds: 5 },
    ...overrides,
  };
}

const TLS: NginxCacheConfigModel['tls'] = {
  listen: '10.0.1.6:443',
  port: 443,
  certificateFile: '/etc/haproxy/certs/entry.pem',
  certificateKeyFile: '/etc/haproxy/certs/entry.pem',
  protocols: MOZILLA_INTERMEDIATE_PROTOCOLS,
  ciphers: intermediateCipherString(),
  sessionTimeout: '1d',
  sessionCache: 'shared:MozSSL:10m',
  sessionTickets: false,
  hstsMaxAgeSeconds: 63072000,
};

/** `nginx -t` on a config whose certificate and key are one combined PEM bundle (chain then key), as cloud-init writes it. */
function checkWithCombinedPem(config: string) {
  requireBinary('openssl');
  const s = scratch('nginx-pem');
  try {
    const made = run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=check.invalid', '-keyout', join(s.dir, 'key.pem'), '-out', join(s.dir, 'cert.pem')]);
    if (!made.ok) throw new Error(made.output);
    const bundle = readFileSync(join(s.dir, 'cert.pem'), 'utf8') + readFileSync(join(s.dir, 'key.pem'), 'utf8');
    const text = nginxForCheck(config).split(HAPROXY_CERTIFICATE_PATH).join('@SCRATCH@/entry.pem').replace(/unix:\S+;/, 'unix:@SCRATCH@/health.sock;');
    return checkNginx(text, { 'entry.pem': bundle }, { nonlocalBind: true });
  } finally {
    s.cleanup();
  }
}

describe('renderNginxCacheConfig', () => {
  test('given the model, when rendered, then the cache path holds the zone, disk limit and inactivity, without temp files elsewhere', () => {
    expect(lines(renderNginxCacheConfig(model()))).toContain('proxy_cache_path /var/lib/nginx/entry-cache levels=1:2 keys_zone=entry:32m max_size=5g inactive=86400s use_temp_path=off;');
  });

  test('given private cookies and paths, when rendered, then maps mark them (dots escaped, paths case-insensitive on the normalised $uri)', () => {
    const config = renderNginxCacheConfig(model());
    expect(block(config, 'map $http_cookie $entry_cache_private_cookie')).toEqual(['default 0;', '"~(?:^|;)\\s*(?:frontend|cart\\.id)=" 1;']);
    expect(block(config, 'map $uri $entry_cache_private_path')).toEqual(['default 0;', '"~*^(?:/checkout|/customer/account\\.php)" 1;']);
    expect(block(config, 'map $uri $entry_cache_uncached_path')).toEqual(['default 0;']);
  });

  test('given cached prefixes, when rendered, then every other path is uncached', () => {
    const config = renderNginxCacheConfig(model({ cache: { ...model().cache, cachedPrefixes: ['/media', '/catalog'] } }));
    expect(block(config, 'map $uri $entry_cache_uncached_path')).toEqual(['default 1;', '"~*^(?:/media|/catalog)" 0;']);
  });

  test('given no private cookie or path, when rendered, then the maps only hold their default', () => {
    const config = renderNginxCacheConfig(model({ cache: { ...model().cache, bypassCookies: [], bypassPaths: [] } }));
    expect(block(config, 'map $http_cookie $entry_cache_private_cookie')).toEqual(['default 0;']);
    expect(block(config, 'map $uri $entry_cache_private_path')).toEqual(['default 0;']);
  });

  test('given the model, when rendered, then the proxy forwards to haproxy on loopback with the forwarding headers, caches with stale, lock and bypass, and says X-Cache-Status', () => {
    const location = block(renderNginxCacheConfig(model()), 'location /');
    expect(location).toEqual([
      'proxy_pass http://entry_haproxy;',
      'proxy_http_version 1.1;',
      'proxy_set_header Connection "";',
      'proxy_set_header Host $host;',
      'proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;',
      'proxy_set_header X-Forwarded-Proto $scheme;',
      'proxy_connect_timeout 5s;',
      'proxy_send_timeout 100s;',
      'proxy_read_timeout 100s;',
      'proxy_cache entry;',
      'proxy_cache_key $scheme$host$request_uri;',
      'proxy_cache_valid 200 301 600s;',
      'proxy_cache_valid 404 60s;',
      'proxy_cache_use_stale error timeout updating http_500 http_502 http_503 http_504;',
      'proxy_cache_background_update on;',
      'proxy_cache_lock on;',
      'proxy_cache_lock_timeout 5s;',
      'proxy_cache_revalidate on;',
      'proxy_cache_bypass $entry_cache_private_cookie $entry_cache_private_path $entry_cache_uncached_path $http_authorization;',
      'proxy_no_cache $entry_cache_private_cookie $entry_cache_private_path $entry_cache_uncached_path $http_authorization;',
      'add_header X-Cache-Status $upstream_cache_status always;',
    ]);
    expect(block(renderNginxCacheConfig(model()), 'upstream entry_haproxy')).toEqual(['server 127.0.0.1:8080;', 'keepalive 64;', 'keepalive_timeout 4s;']);
  });

  test('given the model, when rendered, then Set-Cookie answers keep nginx\'s default: nothing ignores Set-Cookie or Cache-Control', () => {
    expect(renderNginxCacheConfig(model())).not.toMatch(/proxy_ignore_headers|proxy_hide_header/);
  });

  test('given no TLS, when rendered, then nothing of TLS appears and HTTP is proxied', () => {
    const config = renderNginxCacheConfig(model());
    expect(config).not.toMatch(/ssl|Strict-Transport|return 301/);
    expect(lines(config)).toContain('listen 10.0.1.6:80 default_server;');
  });

  test('given TLS, when rendered, then nginx ends HTTPS with the bundle and Mozilla intermediate settings, redirects HTTP and sends HSTS', () => {
    const config = renderNginxCacheConfig(model({ tls: TLS }));
    expect(lines(config)).toEqual(expect.arrayContaining([
      'ssl_certificate /etc/haproxy/certs/entry.pem;',
      'ssl_certificate_key /etc/haproxy/certs/entry.pem;',
      'ssl_protocols TLSv1.2 TLSv1.3;',
      `ssl_ciphers ${intermediateCipherString()};`,
      'ssl_session_tickets off;',
      'listen 10.0.1.6:443 ssl http2 default_server;',
      'return 301 https://$host$request_uri;',
      'add_header Strict-Transport-Security "max-age=63072000" always;',
    ]));
  });

  test('given TLS on 8443 and HSTS 0, when rendered, then the redirect names the port and no HSTS is sent', () => {
    const config = renderNginxCacheConfig(model({ tls: { ...TLS, listen: '10.0.1.6:8443', port: 8443, hstsMaxAgeSeconds: 0 } }));
    expect(lines(config)).toContain('return 301 https://$host:8443$request_uri;');
    expect(config).not.toMatch(/Strict-Transport-Security/);
  });

  test('given the rendered config, when checked by nginx -t, then it passes', () => {
    const r = checkNginx(nginxForCheck(renderNginxCacheConfig(model())).replace(/unix:\S+;/, 'unix:@SCRATCH@/health.sock;'), {}, { nonlocalBind: true });
    expect(r.output).toBe('');
    expect(r.ok).toBe(true);
  });

  test('given TLS and one PEM bundle holding certificate and key, when checked by nginx -t, then it passes', () => {
    const r = checkWithCombinedPem(renderNginxCacheConfig(model({ tls: TLS })));
    expect(r.output).toBe('');
    expect(r.ok).toBe(true);
  });

  test('given an unknown cache zone, when checked by nginx -t, then it fails (the check can fail)', () => {
    const config = nginxForCheck(renderNginxCacheConfig(model())).replace('proxy_cache entry;', 'proxy_cache elsewhere;');
    expect(checkNginx(config, {}, { nonlocalBind: true }).ok).toBe(false);
  });
});

describe('HaproxyBalancer: cache', () => {
  test('given cache {}, when created, then the defaults apply and the disk follows the nodes\' 20 GB boot volume', () => {
    const { lb } = withCache();
    expect(lb.nodes.bootVolumeGb).toBe(20);
    expect(lb.cache).toEqual({
      cachedPrefixes: undefined,
      key: CacheKey.SCHEME_HOST_URI,
      validity: DEFAULT_CACHE_VALIDITY,
      keysZoneMb: 32,
      maxSizeGb: 5,
      inactiveSeconds: 86400,
      bypassCookies: DEFAULT_BYPASS_COOKIES,
      bypassPaths: MAGENTO1_PRIVATE_PATHS,
      upstreamPort: 8080,
    });
    expect(DEFAULT_BYPASS_COOKIES).toEqual([MAGENTO1_SESSION_COOKIE]);
  });

  test('given a larger flavor, when created, then the default disk limit is a quarter of its boot volume', () => {
    const { lb } = withCache({}, { flavor: Flavor.named('b3-16') });
    expect(lb.cache!.maxSizeGb).toBe(Math.floor(lb.nodes.bootVolumeGb / 4));
  });

  test('given a cache, when rendered, then haproxy listens on 127.0.0.1:8080 only, keeps the forwarding headers of loopback and has no TLS bind', () => {
    const { stack } = withTls();
    const config = lines(file(stack, 'lb-1', '/etc/haproxy/haproxy.cfg'));
    expect(config.filter((l) => l.startsWith('bind '))).toEqual(['bind 127.0.0.1:8080']);
    expect(config).toEqual(expect.arrayContaining(['option forwardfor except 127.0.0.0/8', 'http-request set-header X-Forwarded-Proto http unless { src 127.0.0.0/8 }']));
    expect(config.join('\n')).not.toMatch(/ssl|redirect|Strict-Transport/);
  });

  test('given a cache with TLS, when rendered, then nginx listens on the VIP\'s 80 and 443 with the same bundle haproxy would have used', () => {
    const { stack, lb } = withTls();
    const config = lines(file(stack, 'lb-2', '/etc/nginx/nginx.conf'));
    expect(config).toEqual(expect.arrayContaining([
      `listen ${lb.vipAddress}:80 default_server;`,
      `listen ${lb.vipAddress}:443 ssl http2 default_server;`,
      `ssl_certificate ${HAPROXY_CERTIFICATE_PATH};`,
      `ssl_certificate_key ${HAPROXY_CERTIFICATE_PATH};`,
      `listen unix:${CACHE_HEALTH_SOCKET};`,
      `location = ${CACHE_HEALTH_PATH} {`,
      'server 127.0.0.1:8080;',
    ]));
  });

  test('given a cache, when rendered, then every host file of the nodes passes its daemon\'s check (nginx -t, haproxy -c, keepalived -t, sysctl, nft)', () => {
    const { stack } = withTls({ cachedPaths: CachedPaths.prefixes(['/media', '/catalog']) });
    const files = stack.renderHostFiles().filter((f) => f.host.startsWith('lb-') && f.syntax !== undefined);
    expect(files.map((f) => f.path)).toContain('/etc/nginx/nginx.conf');
    for (const f of files) {
      const r = checkHostFile(f)!;
      expect({ file: `${f.host}:${f.path}`, ok: r.ok, output: r.ok ? '' : r.output }).toEqual({ file: `${f.host}:${f.path}`, ok: true, output: '' });
    }
  });

  test('given a cache, when rendered, then keepalived tracks chk_nginx, which asks nginx\'s health server over its socket', () => {
    const { stack } = withCache();
    const config = lines(file(stack, 'lb-1', '/etc/keepalived/keepalived.conf'));
    expect(config).toEqual(expect.arrayContaining([
      `vrrp_script ${NGINX_TRACK_SCRIPT} {`,
      `script "/usr/bin/curl -fsS -o /dev/null --max-time 1 --unix-socket ${CACHE_HEALTH_SOCKET} http://localhost${CACHE_HEALTH_PATH}"`,
    ]));
    const track = config.slice(config.indexOf('track_script {') + 1, config.indexOf('track_script {') + 3);
    expect(track).toEqual([HAPROXY_TRACK_SCRIPT, NGINX_TRACK_SCRIPT]);
  });

  test('given no cache, when rendered, then keepalived tracks chk_haproxy only and there is no nginx', () => {
    const f = fixture();
    f.lb.addTarget(f.web, { port: 80 });
    expect(file(f.stack, 'lb-1', '/etc/keepalived/keepalived.conf')).not.toMatch(/chk_nginx/);
    expect(f.lb.nodes.instances[0].cloudConfig.packages).not.toContain('nginx');
    expect(() => f.lb.nginxCacheModel(0)).toThrow(/test\/Lb: 'cache' \(undefined\) is not set; this balancer has no response cache/);
  });

  test('given a cache, when rendered, then the nodes install nginx and curl, write nginx.conf as NGINX and start haproxy before nginx', () => {
    const { lb } = withCache();
    for (const host of lb.nodes.instances) {
      expect(host.cloudConfig.packages).toEqual(expect.arrayContaining(['haproxy', 'keepalived', 'nftables', 'psmisc', 'nginx', 'curl']));
      expect(host.cloudConfig.services.slice(-4)).toEqual(['nftables', 'haproxy', 'nginx', 'keepalived']);
      expect(host.cloudConfig.hostFiles.find((f) => f.path === '/etc/nginx/nginx.conf')!.syntax).toBe(ConfigSyntax.NGINX);
    }
  });

  test('given a cache with TLS, when synthesized, then the internet reaches 80 and 443 only: the loopback hop opens nothing', () => {
    const { stack, lb } = withTls();
    const rules = resourcesOf(synthJson(stack), 'openstack_networking_secgroup_rule_v2');
    const nodes = (r: Record<string, unknown>) => /Lb_Nodes_Connections_[0-9A-F]+\.id/.test(String(r.security_group_id));
    expect(rules.filter((r) => nodes(r) && r.remote_ip_prefix === '0.0.0.0/0').map((r) => r.port_range_min).sort()).toEqual([443, 80]);
    expect(rules.filter((r) => nodes(r)).map((r) => r.port_range_min)).not.toContain(8080);
    expect(file(stack, 'lb-1', '/etc/nftables.conf')).not.toMatch(/8080/);
    expect(lb.cache!.upstreamPort).toBe(8080);
  });

  test('given a cache and load shedding, when rendered, then haproxy still sheds behind it and the mini-site\'s answers stay uncacheable (no-store)', () => {
    const { stack } = withCache({}, {
      loadShedding: LoadShedding.toMiniSite({ miniSite: MiniSite.builtinPage(), perServerCapacity: 10, orderingCookie: MAGENTO1_SESSION_COOKIE }),
    });
    const config = file(stack, 'lb-1', '/etc/haproxy/haproxy.cfg');
    expect(lines(config)).toEqual(expect.arrayContaining(['use_backend mini_site if pool_saturated !ordering', 'bind 127.0.0.1:8080']));
    expect(config).toMatch(/hdr Cache-Control no-store/);
  });

  test('given the key, validity, prefixes and cookies, when rendered, then nginx.conf follows them', () => {
    const { stack } = withCache({
      key: CacheKey.HOST_URI,
      validity: [{ statuses: [200], seconds: 120 }],
      cachedPaths: CachedPaths.prefixes(['/media']),
      bypassCookies: ['CART', 'frontend'],
      bypassPaths: ['/checkout'],
      keysZoneMb: 8,
      maxSizeGb: 2,
      inactiveSeconds: 600,
      upstreamPort: 9000,
    });
    const config = lines(file(stack, 'lb-1', '/etc/nginx/nginx.conf'));
    expect(config).toEqual(expect.arrayContaining([
      'proxy_cache_key $host$request_uri;',
      'proxy_cache_valid 200 120s;',
      '"~*^(?:/media)" 0;',
      '"~(?:^|;)\\s*(?:CART|frontend)=" 1;',
      '"~*^(?:/checkout)" 1;',
      'proxy_cache_path /var/lib/nginx/entry-cache levels=1:2 keys_zone=entry:8m max_size=2g inactive=600s use_temp_path=off;',
      'server 127.0.0.1:9000;',
    ]));
    expect(lines(file(stack, 'lb-1', '/etc/haproxy/haproxy.cfg'))).toContain('bind 127.0.0.1:9000');
  });
});

describe('HaproxyBalancer: cache errors', () => {
  test.each([
    ['an unknown option', { ttl: 5 }, /test\/Lb: 'cache\.ttl' .*/],
    ['maxSizeGb above half the boot volume', { maxSizeGb: 11 }, /test\/Lb: 'cache\.maxSizeGb' \(11\) must be an integer from 1 to 10: at most half the nodes' 20 GB boot volume/],
    ['maxSizeGb 0', { maxSizeGb: 0 }, /'cache\.maxSizeGb' \(0\) must be an integer from 1 to 10/],
    ['keysZoneMb 0', { keysZoneMb: 0 }, /test\/Lb: 'cache\.keysZoneMb' \(0\) must be an integer from 1 to 4096/],
    ['inactiveSeconds 1.5', { inactiveSeconds: 1.5 }, /'cache\.inactiveSeconds' \(1\.5\) must be an integer from 1 to 31536000/],
    ['upstreamPort 22', { upstreamPort: 22 }, /test\/Lb: 'cache\.upstreamPort' \(22\) is the SSH port of the nodes, taken on 127\.0\.0\.1 too/],
    ['upstreamPort 70000', { upstreamPort: 70000 }, /'cache\.upstreamPort' \(70000\) must be an integer from 1 to 65535/],
    ['a cookie with a space', { bypassCookies: ['my cart'] }, /test\/Lb: 'cache\.bypassCookies\[0\]' \('my cart'\) must be a cookie name of letters, digits/],
    ['a cookie twice', { bypassCookies: ['CART', 'CART'] }, /'cache\.bypassCookies' \('CART'\) appears more than once/],
    ['a bypass path without /', { bypassPaths: ['checkout'] }, /test\/Lb: 'cache\.bypassPaths\[0\]' \('checkout'\) must be a path prefix starting with '\/'/],
    ['a bypass path with a regex', { bypassPaths: ['/checkout|/'] }, /'cache\.bypassPaths\[0\]' \('\/checkout\|\/'\) must be a path prefix/],
    ['bypass path /', { bypassPaths: ['/'] }, /'cache\.bypassPaths' \('\/'\) would make every request private, so nothing would ever be cached/],
    ['cached prefix /', { cachedPaths: CachedPaths.prefixes(['/']) }, /'cache\.cachedPaths' \('\/'\) is every path: use CachedPaths\.everythingCacheable\(\)/],
    ['no cached prefix', { cachedPaths: CachedPaths.prefixes([]) }, /'cache\.cachedPaths' \(\[\]\) must name at least one prefix/],
    ['cachedPaths as a list', { cachedPaths: ['/media'] as unknown as CachedPaths }, /'cache\.cachedPaths' \(\["\/media"\]\) must be CachedPaths\.everythingCacheable\(\) or CachedPaths\.prefixes/],
    ['a key as a string', { key: '$uri' as CacheKey }, /test\/Lb: 'cache\.key' \('\$uri'\) must be a CacheKey \(CacheKey\.SCHEME_HOST_URI, CacheKey\.HOST_URI\)/],
    ['no validity', { validity: [] }, /'cache\.validity' \(\[\]\) must list at least one \{ statuses, seconds \}/],
    ['a status 99', { validity: [{ statuses: [99], seconds: 60 }] }, /'cache\.validity\[0\]\.statuses\[0\]' \(99\) must be an integer from 200 to 599/],
    ['no status', { validity: [{ statuses: [], seconds: 60 }] }, /'cache\.validity\[0\]\.statuses' \(\[\]\) must list at least one HTTP status/],
    ['zero seconds', { validity: [{ statuses: [200], seconds: 0 }] }, /'cache\.validity\[0\]\.seconds' \(0\) must be an integer from 1 to 31536000/],
    ['a status twice', { validity: [{ statuses: [200], seconds: 60 }, { statuses: [200], seconds: 5 }] }, /'cache\.validity\[\]\.statuses' \('200'\) appears more than once/],
  ] as [string, ResponseCacheOptions, RegExp][])('given %s, when created, then it throws naming the balancer and the prop', (_, cache, message) => {
    expect(() => fixture({ cache })).toThrow(message);
  });

  test('given cache that is not an object, when created, then it throws', () => {
    expect(() => fixture({ cache: 'yes' as unknown as ResponseCacheOptions })).toThrow(/test\/Lb: 'cache' \('yes'\)/);
  });
});
