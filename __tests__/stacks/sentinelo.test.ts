/**
 * Case study 1 read from the generated stack: the appliance clusters and their counts, the load-
 * balancing cluster in front of both the API servers and the two database clusters, the ingest
 * servers writing into both, and the 200 Mbit/s budget. Snapshot, schema and daemon checks: stacks.test.ts.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Testing } from 'cdktf';
import { HostingApp } from '../../lib';
import {
  CLOSED_RETAILER, SENTINELO_DATABASE_SERVERS, SENTINELO_FRONTEND_COUNT, SENTINELO_INGEST_COUNT, SENTINELO_MBPS_PER_SERVER, SentineloStack, SentineloStackProps,
} from '../../stacks/sentinelo';
import { checkXml, xpath } from '../support/daemons';

type Json = Record<string, any>;

function build(props: SentineloStackProps = {}) {
  const stack = new SentineloStack(Testing.app(), 'sentinelo', props);
  return { stack, json: stack.toTerraform() as Json };
}

/** The sources (owner paths or CIDRs) of the ingress rules on `port` of the group owned by `ownerPath`. */
function sourcesOn(stack: SentineloStack, ownerPath: string, port: number): string[] {
  const owner = stack.node.findAll().find((c) => c.node.path === ownerPath) as unknown as { connections: { ingressRules: { port: { fromPort?: number; toPort?: number }; source: { connections?: { owner: { node: { path: string } } }; cidr?: string } }[] } };
  return owner.connections.ingressRules
    .filter((r) => r.port.fromPort! <= port && port <= r.port.toPort!)
    .map((r) => r.source.connections?.owner.node.path ?? r.source.cidr!)
    .sort();
}


describe('Sentinelo stack', () => {
  const { stack } = build();

  test('the appliance clusters have the case study\'s counts: 12 API servers, two databases of four, two ingest servers, a haproxy pair', () => {
    expect(stack.frontends.cluster.instances).toHaveLength(SENTINELO_FRONTEND_COUNT);
    expect(stack.publicDatabase.cluster.instances.map((i) => i.hostname)).toEqual(['api-db-1', 'api-db-2', 'api-db-3', 'api-db-4']);
    expect(stack.partnerDatabase.cluster.instances).toHaveLength(SENTINELO_DATABASE_SERVERS);
    expect(stack.ingest.cluster.instances).toHaveLength(SENTINELO_INGEST_COUNT);
    expect(stack.balancer.nodes.instances).toHaveLength(2);
  });

  test('the balancer spreads HTTP over the API servers and the calls of each database: writes and reads on ports of their own', () => {
    expect(stack.balancer.target?.tier).toBe(stack.frontends);
    expect(stack.balancer.databases.map((r) => [r.databaseName, r.port, r.readPort])).toEqual([['sentinelo_api', 3306, 3307], ['sentinelo_partners', 3308, 3309]]);
    for (const r of [stack.publicRoute, stack.partnerRoute]) expect(r.writerAddress).toBe(stack.balancer.vipAddress);
  });

  test('each API server reads the public database as its own and the partners\' as jdbc/partners, on the VIP\'s read ports; the health page reads', () => {
    const xml = stack.frontends.cluster.instances[0].cloudConfig.hostFiles.find((f) => f.path === stack.frontends.contextFilePath)!.content;
    const url = (name: string) => xpath(xml, `string(//Resource[@name="${name}"]/@url)`);
    const vip = stack.balancer.vipAddress;
    expect(['jdbc/app', 'jdbc/app-read', 'jdbc/partners', 'jdbc/partners-read', 'jdbc/health', 'jdbc/health-partners'].map(url)).toEqual([
      `jdbc:mariadb://${vip}:3306/sentinelo_api`, `jdbc:mariadb://${vip}:3307/sentinelo_api`,
      `jdbc:mariadb://${vip}:3308/sentinelo_partners`, `jdbc:mariadb://${vip}:3309/sentinelo_partners`,
      `jdbc:mariadb://${vip}:3307/sentinelo_api`, `jdbc:mariadb://${vip}:3309/sentinelo_partners`,
    ]);
    expect(checkXml(xml).ok).toBe(true);
  });

  test('the databases admit the haproxy nodes only on 3306, the role check the nodes and the monitoring: never the API or ingest servers directly', () => {
    for (const db of ['sentinelo/PublicApiDatabase', 'sentinelo/PartnerDatabase']) {
      expect(sourcesOn(stack, db, 3306)).toEqual(['sentinelo/Balancer/Nodes', `${db}/Servers`]);
      expect(sourcesOn(stack, db, 9200)).toEqual(['sentinelo/Balancer/Nodes', 'sentinelo/Monitoring/Server']);
    }
    // The VIP's database ports: the API servers read and write, the ingest servers write.
    expect(sourcesOn(stack, 'sentinelo/Balancer', 3307)).toEqual(['sentinelo/Api/Servers']);
    expect(sourcesOn(stack, 'sentinelo/Balancer', 3308)).toEqual(['sentinelo/Api/Servers', 'sentinelo/SmartDataInjection/Servers']);
  });

  test('the ingest servers take the retailers\' files on a floating IP each, SFTP closed until their networks are given, and write into both databases', () => {
    expect(stack.ingest.targets).toEqual([stack.publicRoute, stack.partnerRoute]);
    expect(stack.ingest.publicEntries).toHaveLength(2);
    expect(stack.ingest.dropAccounts).toEqual([CLOSED_RETAILER]);
    expect(sourcesOn(stack, 'sentinelo/SmartDataInjection', 22)).toEqual(['192.0.2.0/24', 'sentinelo/Balancer/Nodes']);
  });

  test('the monitoring probes the API from two vantage points and every database server from the centre', () => {
    expect(stack.monitoring.vantagePoints.map((v) => v.vantageName)).toEqual(['central', 'front']);
    const names = stack.monitoring.checks.map((c) => c.name);
    expect(names).toContain('api-vip');
    expect(names.filter((n) => /-db-\d+-readable$/.test(n))).toHaveLength(2 * SENTINELO_DATABASE_SERVERS);
  });

  test('the traffic report shows every server within 200 Mbit/s each way', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'hs-sentinelo-'));
    try {
      const app = new HostingApp({ outdir });
      new SentineloStack(app, 'sentinelo');
      app.synth();
      const report = readFileSync(join(outdir, 'stacks', 'sentinelo', 'traffic', 'Traffic.md'), 'utf8');
      expect(report).toContain(`Each server may use ${SENTINELO_MBPS_PER_SERVER} Mbit/s each way`);
      expect(report).toMatch(/\| api-db-2 \| /);
      expect(stack.traffic.perServerMbps).toBe(SENTINELO_MBPS_PER_SERVER);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });

  test.each([
    ['one database server', { databaseServers: 1 }, /sentinelo: 'databaseServers' \(1\) must be an integer from 2 to 10/],
    ['more front-ends than addresses kept', { frontendCount: 30 }, /sentinelo\/Api: 'count' \(30\) needs 30 servers and 'addressCapacity' keeps 24/],
  ] as [string, SentineloStackProps, RegExp][])('given %s, then it throws', (_name, props, message) => {
    expect(() => build(props)).toThrow(message);
  });
});
