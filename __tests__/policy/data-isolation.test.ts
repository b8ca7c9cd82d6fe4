import { declareDataKind, Flavor, MysqlReplication, Peer, Port, RedisServer, ServerCluster, SolrServer } from '../../lib';
import { DATA_ISOLATION_RULE, DATA_ISOLATION_RULE_ID, dataEndpointKind } from '../../lib/policy/rules/data-isolation';
import { cluster, findingsOf, zonedStack } from './fixtures';
import { runRule } from '../../lib/policy/policy-pack';

describe('HS-DATA-1: data never reachable from the internet or the DMZ', () => {
  test('compliant: a database, a cache and a search server reached only from the application tier', () => {
    // given
    const { stack, app, data } = zonedStack();
    const web = cluster(stack, 'Web', app, 2);
    const db = new MysqlReplication(stack, 'Db', { vswitch: data, flavor: Flavor.named('b3-8'), databaseName: 'shop' });
    const redis = new RedisServer(stack, 'Sessions', { vswitch: data, flavor: Flavor.named('b3-8') });
    const solr = new SolrServer(stack, 'Search', { vswitch: data, flavor: Flavor.named('b3-8') });
    // when
    db.connections.allowFrom(web, Port.tcp(3306));
    redis.connections.allowFrom(web, Port.tcp(6379));
    solr.connections.allowFrom(web, Port.tcp(8983));
    // then
    expect(runRule(DATA_ISOLATION_RULE, stack)).toEqual([]);
  });

  test('the data endpoints are recognised by the data kind they declare, not by their members', () => {
    const { stack, data } = zonedStack();
    const db = new MysqlReplication(stack, 'Db', { vswitch: data, flavor: Flavor.named('b3-8'), databaseName: 'shop' });
    const redis = new RedisServer(stack, 'Sessions', { vswitch: data, flavor: Flavor.named('b3-8') });
    const solr = new SolrServer(stack, 'Search', { vswitch: data, flavor: Flavor.named('b3-8') });
    expect([dataEndpointKind(db), dataEndpointKind(redis), dataEndpointKind(solr), dataEndpointKind(data)])
      .toEqual(['MySQL database', 'Redis server', 'Solr server', undefined]);
  });

  test('a user\'s own data construct that declares its kind is kept out of the internet too; a look-alike that does not is not taken for one', () => {
    // On an APPLICATION vSwitch: only the declaration makes it a data target.
    const { stack, app } = zonedStack();
    const own = new ServerCluster(stack, 'Ledger', { vswitch: app, count: 1, flavor: Flavor.named('b3-8') });
    declareDataKind(own, 'ledger database');
    expect(dataEndpointKind(own)).toBe('ledger database');
    // Members shaped like a Redis endpoint no longer make a construct a data endpoint.
    const lookalike = Object.assign(new ServerCluster(stack, 'Cache', { vswitch: app, count: 1, flavor: Flavor.named('b3-8') }), { address: '10.0.2.9', port: 6379 });
    expect(dataEndpointKind(lookalike)).toBeUndefined();
    own.connections.allowFromInternet(Port.tcp(5432), 'test');
    expect(findingsOf(stack, DATA_ISOLATION_RULE_ID).map((f) => f.constructPath)).toContain('test/Ledger');
  });

  test('non-compliant: a Redis server opened to the internet', () => {
    const { stack, data } = zonedStack();
    const redis = new RedisServer(stack, 'Sessions', { vswitch: data, flavor: Flavor.named('b3-8') });
    redis.connections.allowFromInternet(Port.tcp(6379), 'test');
    const [f, ...rest] = findingsOf(stack, DATA_ISOLATION_RULE_ID).filter((x) => x.constructPath === 'test/Sessions');
    expect(rest).toEqual([]);
    expect(f.message).toMatch(/^Redis server lets tcp 6379 in from the internet .* which is the internet/);
  });

  test('non-compliant: a database reached by a group whose members are in the DMZ', () => {
    const { stack, dmz, data } = zonedStack();
    const proxy = cluster(stack, 'Proxy', dmz);
    const db = new MysqlReplication(stack, 'Db', { vswitch: data, flavor: Flavor.named('b3-8'), databaseName: 'shop' });
    db.connections.allowFrom(proxy, Port.tcp(3306));
    expect(findingsOf(stack, DATA_ISOLATION_RULE_ID).map((f) => [f.constructPath, f.message])).toEqual([
      ['test/Db', expect.stringMatching(/^MySQL database lets tcp 3306 in from the group of test\/Proxy, whose members 10\.0\.0\.2 are in the DMZ/)],
    ]);
  });

  test('non-compliant: a search server reached from a CIDR overlapping the DMZ', () => {
    const { stack, data } = zonedStack();
    const solr = new SolrServer(stack, 'Search', { vswitch: data, flavor: Flavor.named('b3-8') });
    solr.connections.allowFrom(Peer.ipv4('10.0.0.128/25'), Port.tcp(8983));
    expect(findingsOf(stack, DATA_ISOLATION_RULE_ID).map((f) => f.message)).toEqual([
      expect.stringMatching(/^Solr server lets tcp 8983 in from 10\.0\.0\.128\/25, which overlaps the DMZ vSwitch test\/Dmz \(10\.0\.0\.0\/24\)/),
    ]);
  });

  test('non-compliant: any server on a DATA vSwitch reached from the DMZ', () => {
    const { stack, dmz, data } = zonedStack();
    const nfs = cluster(stack, 'Files', data);
    nfs.connections.allowFrom(cluster(stack, 'Origin', dmz), Port.tcp(2049));
    expect(findingsOf(stack, DATA_ISOLATION_RULE_ID).map((f) => [f.constructPath, f.message])).toEqual([
      ['test/Files', expect.stringMatching(/^server on a DATA vSwitch lets tcp 2049 in from the group of test\/Origin/)],
    ]);
  });

  test('non-compliant: a group whose ports allow 0.0.0.0/0 as an address pair counts as the internet', () => {
    const { stack, app, data } = zonedStack();
    const router = cluster(stack, 'Forwarder', app);
    router.instances[0].port.addAllowedAddressPair('0.0.0.0/0');
    const redis = new RedisServer(stack, 'Sessions', { vswitch: data, flavor: Flavor.named('b3-8') });
    redis.connections.allowFrom(router, Port.tcp(6379));
    expect(findingsOf(stack, DATA_ISOLATION_RULE_ID).map((f) => f.message)).toEqual([expect.stringMatching(/address pair 0\.0\.0\.0\/0.*any source/)]);
  });

  test('non-compliant: a database placed on a DMZ vSwitch', () => {
    const { stack, dmz } = zonedStack();
    new MysqlReplication(stack, 'Db', { vswitch: dmz, flavor: Flavor.named('b3-8'), databaseName: 'shop' });
    expect(findingsOf(stack, DATA_ISOLATION_RULE_ID).map((f) => f.message)).toEqual([expect.stringMatching(/^MySQL database has the address 10\.0\.0\.2, 10\.0\.0\.3 on a DMZ vSwitch/)]);
  });

  test('non-compliant: a security-group rule added beside Connections is found in the synthesized Terraform', () => {
    const { stack, data } = zonedStack();
    const redis = new RedisServer(stack, 'Sessions', { vswitch: data, flavor: Flavor.named('b3-8') });
    const rule = redis.connections.allowFrom(Peer.ipv4('10.0.1.0/24'), Port.tcp(6379));
    rule.resource.addOverride('remote_ip_prefix', '0.0.0.0/0');
    const findings = findingsOf(stack, DATA_ISOLATION_RULE_ID);
    expect(findings.map((f) => f.message)).toEqual([expect.stringMatching(/^the synthesized security-group rule of the Redis server test\/Sessions has remote_ip_prefix 0\.0\.0\.0\/0/)]);
    expect(findings[0].constructPath).toBe(rule.resource.node.path);
  });
});
