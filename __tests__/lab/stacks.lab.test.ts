/**
 * Every stack, synthesized as `npm run synth` does, booted in the lab: every server from its own
 * user_data under systemd and cloud-init, Neutron's rules enforced, each public entry asked, every
 * declared flow tried and a sample of forbidden ones refused (lib/lab). The report and its FIGURE
 * line are printed, the line's figures appended to the suite's figures file (support/figures.ts);
 * each stack's progress (`[lab popgom] 3/8 servers booted; ...`) goes to stderr as it boots.
 *
 * It fails when a server is not clean or a check fails, but for the servers the lab cannot set up
 * (LIMITED_BY_DOWNLOAD: a release it cannot serve) and the flows to them, which the report says are
 * not proven. It never skips: without root or the lab's tools it fails.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Flavor, HostingApp } from '../../lib';
import { GALERA_HEALTH_PATH, GALERA_HEALTH_PORT } from '../../lib/database/galera-cluster';
import { LabBootedStack, LabBootSlots, labFailures, LabOptions, LabRun, printLabReport, runLab } from '../../lib/lab';
import { LAB_EXTERNAL_CIDR } from '../../lib/lab/stack-model';
import { buildAllStacks, StackOverrides } from '../../stacks/all';
import { RUNISO_MINI_SITE_PAGE, RUNISO_SESSION_COOKIES, RunisoStack } from '../../stacks/runiso';
import { IPRESSO_CATEGORIES, IPRESSO_TASKS_PER_DAY_PER_CLIENT, IpressoStack } from '../../stacks/ipresso';
import { SentineloStack } from '../../stacks/sentinelo';
import { requireLabHost } from '../support/daemons';
import { testFigures } from '../support/figures';
import { ipressoChecks, IpressoLabOptions } from './ipresso-checks';
import { scaleOutOnAlert } from './scale-out';
import { runisoChecks } from './runiso-sites';
import { sentineloChecks } from './sentinelo-api';
import { deployStandInShop } from './stand-in-shop';

/** The stacks of stacks/all.ts, in order (a new stack must be added here, and so booted). */
const STACKS = ['sentinelo', 'popgom', 'runiso', 'ipresso', 'monsieur-deguisement'];

/**
 * Runiso with its sites as regions of their own (a provider alias each, a router and networks
 * each, Galera over the vRack VLAN between them): the lab realises each region's networks, and the
 * VLAN's network in every region as one broadcast domain.
 */
const RUNISO_REGIONS = 'runiso-regions';
const LAB_REGIONS = ['GRA11', 'SBG5', 'RBX-A'];

/** Servers booting at once, across the stacks (2 cores: four keep both busy while one waits for I/O). */
const BOOT_SLOTS = 4;

/**
 * Stacks with servers up at once: while one runs its checks, the next boots. A third would hold
 * some 45 containers at once (about 0.4 GB each) beside the unit tests.
 */
const STACKS_AT_ONCE = 2;

/**
 * The order the stacks start in: those whose checks take longest (failovers, a scale-out, the
 * ingest) first, each checking while the next boots; POPGOM, whose checks are short, last.
 */
const START_ORDER = [RUNISO_REGIONS, 'runiso', 'monsieur-deguisement', 'ipresso', 'sentinelo', 'popgom'];

/** The SFTP account the lab declares on Sentinelo's ingest servers (its key is made by the test). */
const LAB_RETAILER = 'lab-retailer';

/**
 * What the lab changes in the stacks, to fit the suite's time in CI: Sentinelo with two servers of
 * each kind where the case study has more (every kind of server and every flow is still there: a
 * primary and a replica per database cluster, two API servers, one ingest server), an SFTP account
 * whose key the test holds, open to the lab's internet, and a quick ingest (10 s to settle, 10 s
 * between runs); Runiso with one application server per site (its three sites, their ADC pairs,
 * static origins and Galera nodes all there), its static origins open to the lab's internet as the
 * CDN; iPresso with a smaller database host and smaller clients.
 */
function labOverrides(retailerPublicKey: string): StackOverrides {
  return {
    sentinelo: {
      frontendCount: 2,
      databaseServers: 2,
      ingestCount: 1,
      retailers: [{ name: LAB_RETAILER, publicKeys: [retailerPublicKey] }],
      retailerCidrs: [LAB_EXTERNAL_CIDR],
      ingestSettleSeconds: 10,
      ingestPollSeconds: 10,
    },
    runiso: {
      appBaselinePerSite: 1,
      cdnCidrs: [LAB_EXTERNAL_CIDR],
    },
    // iPresso's database host a c3-16: the 8 vCPUs of the case's r3-64, so the runner's bound is the
    // deployed one (16 databases at once), with a buffer pool the lab's machine can map (r3-64's
    // 38 GB cannot); and clients of 10,000 contacts, so that it holds the 50 client databases the lab makes.
    ipresso: { databaseFlavor: Flavor.named('c3-16'), contactsPerClient: 10_000 },
  };
}

/** The stacks whose front-ends take their code from the stack's deployment server. */
const PIPELINE_STACKS = ['monsieur-deguisement'];

/** The stacks whose front-ends follow a PrometheusScaling: a scale-out alert must add front-ends that serve. */
const ALERT_SCALED_STACKS = ['monsieur-deguisement'];

/**
 * The servers the lab cannot set up, per stack: each downloads a release from outside the Debian
 * archive at boot (WildFly, Solr), which the lab has not got; it serves a stand-in, the pinned
 * checksum refuses it and the setup stops there, as it must (the report's `download` check). They
 * are reported as limited, and the flows to them as not proven; any other server that is not clean
 * fails the test. On a cloud they download the release (or your mirror: the URL and checksum are props).
 */
const LIMITED_BY_DOWNLOAD: Readonly<Record<string, readonly string[]>> = {
  popgom: ['order-tracking-1'],
  'monsieur-deguisement': ['search-1'],
};

/** The stacks with no public entry: their users reach them through a VPN or a peering (iPresso's PHP front is the customer's). */
const PRIVATE_STACKS = ['ipresso'];

/** iPresso's hosts and figures as the lab checks need them, from the construct tree. */
function ipressoLabOptions(stack: IpressoStack): IpressoLabOptions {
  const manager = stack.daemons.manager.instances[0];
  const analytics = stack.daemons.category('analytics').machines.instances[0];
  return {
    manager: { host: manager.hostname, url: `http://${stack.daemons.managerAddress}:${stack.daemons.managerPort}` },
    appHost: analytics.hostname,
    daemonHosts: Object.fromEntries(stack.daemons.categories.map((c) => [c.name, c.machines.instances.map((i) => i.hostname)])),
    shares: Object.fromEntries(IPRESSO_CATEGORIES.map((c) => [c.name, c.share])),
    tasksPerDay: IPRESSO_TASKS_PER_DAY_PER_CLIENT,
    migrations: {
      host: stack.migrations.machines.instances[0].hostname,
      databaseHosts: stack.databases.hosts.map((h) => h.name),
      stepsDirectory: stack.migrations.stepsDirectory,
      parallelPerHost: stack.migrations.parallelPerHost,
    },
  };
}

/** Runiso's sites as the lab checks need them, from the construct tree. */
function runisoLabOptions(stack: RunisoStack, workDir: string) {
  return {
    sites: stack.sites.map((s, i) => {
      const nodes = stack.database.siteClusters[i].instances.map((n) => n.hostname);
      const apps = s.app.cluster.instances.filter((i) => i.existence === undefined).map((i) => i.hostname);
      return {
        name: s.site.siteName,
        vip: s.adc.vipAddress,
        appServers: apps,
        databaseNodes: nodes,
        miniSiteServers: s.miniSite.cluster.instances.map((i) => i.hostname),
        servers: [...s.adc.nodes.instances.map((i) => i.hostname), ...s.miniSite.cluster.instances.map((i) => i.hostname), ...apps, ...nodes],
      };
    }),
    databaseHealth: { port: GALERA_HEALTH_PORT, path: GALERA_HEALTH_PATH },
    databaseAddresses: Object.fromEntries(stack.database.members.map((m) => [m.hostname, m.address])),
    cartCookie: RUNISO_SESSION_COOKIES[1],
    miniSitePage: RUNISO_MINI_SITE_PAGE,
    perServerCapacity: stack.sites[0].app.maxThreads,
    workDir,
  };
}

describe('the lab boots every stack', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'hs-lab-synth-'));
  const keys = mkdtempSync(join(tmpdir(), 'hs-lab-keys-'));
  const started = Date.now();
  let ids: string[] = [];
  let sentinelo: SentineloStack | undefined;
  let runiso: RunisoStack | undefined;
  let runisoRegions: RunisoStack | undefined;
  let ipresso: IpressoStack | undefined;

  /** Each stack's lab run, started in beforeAll, awaited by its test. */
  const runs = new Map<string, Promise<LabRun>>();
  /**
   * The stacks booted: all, or those HS_LAB_STACKS names (comma-separated, to work on one stack);
   * the test of a stack left out fails, saying so.
   */
  const chosen = process.env.HS_LAB_STACKS ? process.env.HS_LAB_STACKS.split(',').map((s) => s.trim()) : START_ORDER;

  beforeAll(() => {
    requireLabHost(['debootstrap', 'systemd-nspawn', 'dpkg-scanpackages', 'ip', 'nft', 'nsenter', 'curl', 'haproxy', 'openssl', 'ssh-keygen', 'sftp', 'wrk']);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', LAB_RETAILER, '-f', join(keys, 'retailer')]);
    const app = new HostingApp({ outdir });
    const stacks = buildAllStacks(app, labOverrides(readFileSync(join(keys, 'retailer.pub'), 'utf8').trim()));
    ids = stacks.map((s) => s.node.id);
    sentinelo = stacks.find((s): s is SentineloStack => s instanceof SentineloStack);
    runiso = stacks.find((s): s is RunisoStack => s instanceof RunisoStack);
    ipresso = stacks.find((s): s is IpressoStack => s instanceof IpressoStack);
    runisoRegions = new RunisoStack(app, RUNISO_REGIONS, { ...labOverrides('').runiso, regions: LAB_REGIONS });
    app.synth();
    // Every stack starts now, at most STACKS_AT_ONCE with servers up, their servers in one pool of
    // boot slots: a stack runs its checks (mostly waiting on the network) while the next one boots.
    const bootSlots = new LabBootSlots(BOOT_SLOTS);
    const lanes = new LabBootSlots(STACKS_AT_ONCE);
    for (const id of START_ORDER) {
      if (!chosen.includes(id)) continue;
      const run = lanes.run(() => runLab(join(outdir, 'stacks', id), { bootSlots, log: (l) => process.stderr.write(`${l}\n`), afterBoot: afterBootFor(id) }));
      run.catch(() => undefined); // its test awaits it and reports the failure
      runs.set(id, run);
    }
  });

  /** What runs after the boot of `id`, before the lab's own checks. */
  function afterBootFor(id: string): LabOptions['afterBoot'] {
    // After the boot, the stack's own pipeline pushes a stand-in shop where the front-ends take their
    // code from the deployment server (stand-in-shop.ts): the entries are then asked for the shop.
    // Then, where alerts scale the front-ends, a scale-out alert must add front-ends that serve
    // (scale-out.ts); every check after it runs on the stack as scaled.
    return PIPELINE_STACKS.includes(id)
      ? async (stack: LabBootedStack) => [...await deployStandInShop(stack), ...(ALERT_SCALED_STACKS.includes(id) ? await scaleOutOnAlert(stack, { stackDir: join(outdir, 'stacks', id) }) : [])]
      : id === 'sentinelo'
        ? (stack: LabBootedStack) => sentineloChecks(stack, {
          vip: sentinelo!.balancer.vipAddress,
          ingestAddress: sentinelo!.ingest.cluster.instances[0].address,
          ingestName: sentinelo!.ingest.cluster.instances[0].hostname,
          retailer: { name: LAB_RETAILER, privateKeyPath: join(keys, 'retailer') },
          workDir: keys,
        })
        : id === 'runiso' || id === RUNISO_REGIONS
          ? (stack: LabBootedStack) => runisoChecks(stack, runisoLabOptions(id === 'runiso' ? runiso! : runisoRegions!, keys))
          : id === 'ipresso'
            ? (stack: LabBootedStack) => ipressoChecks(stack, ipressoLabOptions(ipresso!))
            : undefined;
  }

  afterAll(async () => {
    // A failed test leaves the other stacks running: each removes its servers when it ends.
    await Promise.allSettled(runs.values());
    rmSync(outdir, { recursive: true, force: true });
    rmSync(keys, { recursive: true, force: true });
    const seconds = (Date.now() - started) / 1000;
    const detail = `${runs.size} stacks (${[...runs.keys()].join(', ')}), ${STACKS_AT_ONCE} at a time in ${BOOT_SLOTS} boot slots`;
    testFigures().print(`FIGURE lab share of the suite: ${seconds.toFixed(0)} s for ${detail}`, { name: 'lab share of the suite', value: seconds, unit: 's', detail });
  }, 80 * 60 * 1000);

  test('boots every stack the app synthesizes', () => {
    expect(ids).toEqual(STACKS);
    expect([...START_ORDER].sort()).toEqual([...STACKS, RUNISO_REGIONS].sort());
    expect(chosen.filter((id) => !START_ORDER.includes(id))).toEqual([]);
  });

  test.each([...STACKS, RUNISO_REGIONS].map((s) => [s]))('%s: every server comes up clean and every flow behaves as the Terraform declares', async (id) => {
    const started = runs.get(id);
    if (!started) throw new Error(`${id} was not booted: HS_LAB_STACKS=${process.env.HS_LAB_STACKS ?? ''} leaves it out`);
    const run = await started;
    const report = run.report;
    printLabReport(report, testFigures());
    const unexpected = [...labFailures(report)].map(([k, v]) => `${k}: ${v}`);
    // One line each on stderr as well, beside the boot log: a CI excerpt that cuts the report keeps them.
    for (const u of unexpected) process.stderr.write(`[lab ${id}] UNEXPECTED ${u.slice(0, 600)}\n`);
    expect(unexpected).toEqual([]);
    // Limited are exactly the servers that download a release (the lab marks one only when its
    // `download` check passed: the stand-in was asked for and refused).
    expect(report.servers.filter((s) => s.limitedBy).map((s) => s.name)).toEqual(LIMITED_BY_DOWNLOAD[id] ?? []);
    expect(report.servers.length).toBeGreaterThan(0);
    if (!PRIVATE_STACKS.includes(id)) expect(report.checks.some((c) => c.kind === 'entry' && c.ok)).toBe(true);
    if (ALERT_SCALED_STACKS.includes(id)) {
      // The alert's path ran to the end: hook, apply, new front-ends scraped, deployed and serving.
      const scaling = report.checks.filter((c) => c.kind === 'scaling');
      expect(scaling.map((c) => c.name)).toEqual(expect.arrayContaining([expect.stringMatching(/ served by frontends-\d+$/)]));
      expect(scaling.filter((c) => !c.ok)).toEqual([]);
    }
    if (id === 'sentinelo') {
      // Case study 1's points: an API request crosses the balancer, an API server and a database of
      // each cluster; an SFTP upload reaches both clusters; a database server dies and reads go on.
      const points = report.checks.filter((c) => c.kind === 'sentinelo');
      expect(points.map((c) => c.name)).toEqual([
        expect.stringMatching(/^API request .* crosses the VIP, an API server and a database of each cluster$/),
        expect.stringMatching(/^SFTP upload as lab-retailer to /),
        expect.stringMatching(/^the upload's offer LAB-\d+ is read back from both clusters through the API$/),
        expect.stringMatching(/^reads go on when api-db-\d+ dies$/),
        expect.stringMatching(/^api-db-\d+ started again$/),
      ]);
      expect(points.filter((c) => !c.ok)).toEqual([]);
    }
    if (id === 'runiso' || id === RUNISO_REGIONS) {
      // Case study 3's points: every site serves from its own node; the ADC caches, never a cart;
      // overloaded, the cart keeps its median and the overflow gets the mini-site; a site lost leaves
      // the others serving and writing; a lone database node refuses writes.
      const points = report.checks.filter((c) => c.kind === 'runiso');
      expect(points.length).toBe(12);
      expect(points.filter((c) => !c.ok)).toEqual([]);
    }
    if (id === 'ipresso') {
      // Case study 4's points: intents within 1 s, a killed daemon resumes, cached analyses, a
      // client's day of tasks without backlog, 50 client databases updated in parallel behind
      // snapshots, a failing step that leaves them as they were, and the rerun from the recorded step.
      const points = report.checks.filter((c) => c.kind === 'ipresso');
      expect(points.length).toBe(8);
      expect(points.filter((c) => !c.ok)).toEqual([]);
    }
    if (PIPELINE_STACKS.includes(id)) {
      // Through each HTTPS entry, the stand-in storefront answers from the shop database: entry,
      // amphora, front-end (Apache, PHP-FPM) and MariaDB were crossed.
      const shop = report.checks.filter((c) => c.kind === 'entry' && / \(.*\)$/.test(c.name) && /:443 /.test(c.name));
      expect(shop.length).toBeGreaterThan(0);
      for (const c of shop) expect([c.name, c.detail]).toEqual([c.name, expect.stringMatching(/^HTTP 200 hosting-stacks stand-in shop at https?:\/\/\S+ served by frontends-\d+/)]);
    }
  }, 80 * 60 * 1000);
});
