import { Construct } from 'constructs';
import { ExternalNetwork, Flavor, PrivateVSwitch } from '../../lib';
import { IHttpBackend } from '../../lib/core/endpoints';
import {
  BuiltinPageOptions, DEFAULT_RETRY_AFTER_SECONDS, LoadShedding, LoadSheddingOptions, MAGENTO1_ORDERING_PATHS, MAGENTO1_SESSION_COOKIE, MINI_SITE_BACKEND, MiniSite,
  MiniSiteBackendOptions, MiniSiteKind, ORDERING_PRIORITY_CLASS,
} from '../../lib/balancing/load-shedding';
import { StaticContentServer } from '../../lib/web/static-content-server';
import { testStack } from '../support/synth';

function fixture() {
  const stack = testStack();
  const dmz = new PrivateVSwitch(stack, 'Dmz', { cidr: '10.0.1.0/24', externalNetwork: ExternalNetwork.ovh() });
  const staticContent = new StaticContentServer(stack, 'StaticContent', { vswitch: dmz, flavor: Flavor.named('b3-8'), hostNames: ['static.example.com'], cdnCidrs: ['198.51.100.0/24'], count: 2 });
  const scope = new Construct(stack, 'Lb');
  return { stack, staticContent, scope };
}

function shedding(options: Partial<LoadSheddingOptions> = {}, site?: MiniSiteBackendOptions) {
  const f = fixture();
  const loadShedding = LoadShedding.toMiniSite({ miniSite: MiniSite.fromBackend(f.staticContent, site), perServerCapacity: 20, ...options });
  return { ...f, loadShedding, validate: () => loadShedding.validate(f.scope) };
}

describe('LoadShedding: defaults and model', () => {
  test('given only a mini-site and a capacity, when created, then Magento 1 ordering paths, no cookie and no queue allowance apply', () => {
    const { loadShedding, validate } = shedding();
    expect(validate).not.toThrow();
    expect(loadShedding.orderingPaths).toEqual(['/checkout', '/onestepcheckout', '/customer/account', '/sales', '/paypal']);
    expect(loadShedding.orderingPaths).toEqual(MAGENTO1_ORDERING_PATHS);
    expect(loadShedding.orderingCookie).toBeUndefined();
    expect(loadShedding.queueThreshold).toBe(0);
    expect(loadShedding.miniSite.kind).toBe(MiniSiteKind.BACKEND);
    expect(MAGENTO1_SESSION_COOKIE).toBe('frontend');
  });

  test('given a static server as mini-site with Host and page, when modelled, then its servers (no maxconn), health check, Host and page are in the haproxy model', () => {
    const { loadShedding, staticContent } = shedding({ orderingCookie: 'frontend', queueThreshold: 4 }, { hostHeader: 'static.example.com', page: '/media/mini-site/index.html' });
    expect(loadShedding.haproxyModel()).toEqual({
      orderingPaths: MAGENTO1_ORDERING_PATHS,
      orderingCookie: 'frontend',
      perServerCapacity: 20,
      queueThreshold: 4,
      orderingPriorityClass: ORDERING_PRIORITY_CLASS,
      miniSite: {
        kind: 'backend',
        name: MINI_SITE_BACKEND,
        healthCheck: { kind: 'http', path: '/healthz', expectedStatus: 200, intervalMs: 2000, timeoutMs: 2000, fall: 2, rise: 2 },
        servers: staticContent.backendAddresses.map((address, i) => ({ name: `mini-site-${i + 1}`, address, port: 80 })),
        hostHeader: 'static.example.com',
        pathPrefix: undefined,
        page: '/media/mini-site/index.html',
      },
    });
    expect(ORDERING_PRIORITY_CLASS).toBeLessThan(0);
  });

  test('given the built-in page, when modelled, then haproxy answers 503 with Retry-After and HTML holding no quote, $ or backslash', () => {
    const page = MiniSite.builtinPage({ title: 'Très "busy" $HOME \\ <b>', retryAfterSeconds: 60 });
    const { scope } = fixture();
    const loadShedding = LoadShedding.toMiniSite({ miniSite: page, perServerCapacity: 5 });
    loadShedding.validate(scope);
    const model = loadShedding.haproxyModel().miniSite;
    expect(model).toEqual(expect.objectContaining({ kind: 'page', name: MINI_SITE_BACKEND, status: 503, retryAfterSeconds: 60 }));
    const html = model.kind === 'page' ? model.html : '';
    expect(html).toContain('<title>Tr&#232;s &#34;busy&#34; &#36;HOME &#92; &#60;b&#62;</title>');
    expect(html).not.toMatch(/["$\\]/);
    expect(MiniSite.builtinPage().retryAfterSeconds).toBe(DEFAULT_RETRY_AFTER_SECONDS);
    expect(MiniSite.builtinPage().html).toMatch(/Orders in progress are not affected/);
  });
});

describe('LoadShedding: errors', () => {
  test.each([0, -1, 2.5, 100_001])('given perServerCapacity %p, when validated, then it throws', (capacity) => {
    expect(shedding({ perServerCapacity: capacity }).validate).toThrow(/test\/Lb: 'loadShedding\.perServerCapacity' \(.*\) must be an integer from 1 to 100000/);
  });

  test.each([-1, 0.5])('given queueThreshold %p, when validated, then it throws', (threshold) => {
    expect(shedding({ queueThreshold: threshold }).validate).toThrow(/'loadShedding\.queueThreshold' \(.*\) must be an integer from 0 to 100000/);
  });

  test('given no ordering path, when validated, then it throws', () => {
    expect(shedding({ orderingPaths: [] }).validate).toThrow(/'loadShedding\.orderingPaths' \(\[\]\) must name at least one path prefix/);
  });

  test.each(['checkout', '/check out', '/checkout?x=1', '/caf\u00e9', ''])('given the ordering path %p, when validated, then it throws', (path) => {
    expect(shedding({ orderingPaths: ['/sales', path] }).validate).toThrow(/'loadShedding\.orderingPaths' \(.*\) must be paths starting with '\/'/);
  });

  test('given the ordering path "/", when validated, then it throws: nothing would be shed', () => {
    expect(shedding({ orderingPaths: ['/'] }).validate).toThrow(/'loadShedding\.orderingPaths' \('\/'\) would mark every request as ordering/);
  });

  test('given a duplicate ordering path, when validated, then it throws', () => {
    expect(shedding({ orderingPaths: ['/checkout', '/checkout'] }).validate).toThrow(/'loadShedding\.orderingPaths' \('\/checkout'\) appears more than once/);
  });

  test.each(['', 'front end', 'a;b', 'x)', 'sess#1'])('given the cookie name %p, when validated, then it throws', (cookie) => {
    expect(shedding({ orderingCookie: cookie }).validate).toThrow(/'loadShedding\.orderingCookie' \(.*\) must be a cookie name of letters, digits/);
  });

  test('given no mini-site, when validated, then it throws', () => {
    const { scope } = fixture();
    const loadShedding = LoadShedding.toMiniSite({ miniSite: undefined as unknown as MiniSite, perServerCapacity: 10 });
    expect(() => loadShedding.validate(scope)).toThrow(/test\/Lb: 'loadShedding\.miniSite' \(undefined\) must be given: MiniSite\.fromBackend/);
  });

  test('given a mini-site backend with no servers, when validated, then it throws', () => {
    const { scope, staticContent } = fixture();
    const empty: IHttpBackend = { connections: staticContent.connections, backendAddresses: [], backendPort: 80, healthCheckPath: '/healthz' };
    const loadShedding = LoadShedding.toMiniSite({ miniSite: MiniSite.fromBackend(empty), perServerCapacity: 10 });
    expect(() => loadShedding.validate(scope)).toThrow(/'loadShedding\.miniSite' \('test\/StaticContent\/Servers'\) has no servers/);
  });

  test('given a mini-site backend on port 0, when validated, then it throws', () => {
    const { scope, staticContent } = fixture();
    const bad: IHttpBackend = { connections: staticContent.connections, backendAddresses: ['10.0.1.9'], backendPort: 0, healthCheckPath: '/healthz' };
    expect(() => LoadShedding.toMiniSite({ miniSite: MiniSite.fromBackend(bad), perServerCapacity: 10 }).validate(scope)).toThrow(/'loadShedding\.miniSite\.backendPort' \(0\) must be an integer from 1 to 65535/);
  });

  test.each(['static example.com', '-static.example.com', 'a'.repeat(64) + '.com'])('given the Host header %p, when validated, then it throws', (host) => {
    expect(shedding({}, { hostHeader: host }).validate).toThrow(/'loadShedding\.miniSite\.hostHeader' \(.*\) must be a DNS name/);
  });

  test.each(['mini-site', '/mini-site/', '/', '/mini site'])('given the path prefix %p, when validated, then it throws', (prefix) => {
    expect(shedding({}, { pathPrefix: prefix }).validate).toThrow(/'loadShedding\.miniSite\.pathPrefix' \(.*\) must be a path starting with '\/', without a trailing '\/'/);
  });

  test.each(['index.html', '/', '/a b.html'])('given the page %p, when validated, then it throws', (page) => {
    expect(shedding({}, { page }).validate).toThrow(/'loadShedding\.miniSite\.page' \(.*\) must be the path of one page/);
  });

  test('given both a page and a path prefix, when validated, then it throws', () => {
    expect(shedding({}, { page: '/busy.html', pathPrefix: '/mini-site' }).validate).toThrow(/'loadShedding\.miniSite\.page' \('\/busy\.html'\) cannot be combined with 'pathPrefix' \('\/mini-site'\)/);
  });

  test.each([
    ['title', { title: ' ' }],
    ['message', { message: 'two\nlines' }],
    ['message', { message: 'x'.repeat(501) }],
  ] as [string, BuiltinPageOptions][])('given a built-in page with a bad %s, when validated, then it throws', (prop, options) => {
    const { scope } = fixture();
    const loadShedding = LoadShedding.toMiniSite({ miniSite: MiniSite.builtinPage(options), perServerCapacity: 10 });
    expect(() => loadShedding.validate(scope)).toThrow(new RegExp(`'loadShedding\\.miniSite\\.${prop}' \\(.*\\) must be 1 to 500 characters of text on one line`, 's'));
  });

  test.each([0, 86_401, 1.5])('given a built-in page with retryAfterSeconds %p, when validated, then it throws', (seconds) => {
    const { scope } = fixture();
    const loadShedding = LoadShedding.toMiniSite({ miniSite: MiniSite.builtinPage({ retryAfterSeconds: seconds }), perServerCapacity: 10 });
    expect(() => loadShedding.validate(scope)).toThrow(/'loadShedding\.miniSite\.retryAfterSeconds' \(.*\) must be an integer from 1 to 86400/);
  });
});
