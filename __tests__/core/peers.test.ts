import { Testing } from 'cdktf';
import { Construct } from 'constructs';
import {
  AppTier,
  Flavor,
  HostingStack,
  HostingStacksError,
  Peer,
  PrivateVSwitch,
  RedisServer,
  Secret,
  ServerCluster,
} from '../../lib';
import { brand, brandedKind, describeValue, hasBrand, Kinds, optionalPeer, requirePeer, requirePeers, requireProps, requireSameStack } from '../../lib/core/peers';

function twoStacks() {
  const app = Testing.app();
  const a = new HostingStack(app, 'a');
  const b = new HostingStack(app, 'b');
  const netA = new PrivateVSwitch(a, 'Net', { cidr: '10.0.1.0/24' });
  const netB = new PrivateVSwitch(b, 'Net', { cidr: '10.0.2.0/24' });
  return { app, a, b, netA, netB };
}

describe('brands', () => {
  test('given a branded object, then hasBrand sees its kind and no other', () => {
    const x = {};
    brand(x, 'Thing');
    expect(hasBrand(x, 'Thing')).toBe(true);
    expect(hasBrand(x, 'Other')).toBe(false);
  });

  test('given a brand, then it is in no JSON and no key list', () => {
    const x = { a: 1 };
    brand(x, 'Thing');
    expect(JSON.stringify(x)).toBe('{"a":1}');
    expect(Object.keys(x)).toEqual(['a']);
  });

  test('given a look-alike with the same members, then it has no brand', () => {
    const { a } = twoStacks();
    const real = Secret.variable(a, 'db_password', 'd');
    const lookAlike = { variableName: real.variableName, value: real.value };
    expect(Secret.isSecret(real)).toBe(true);
    expect(Secret.isSecret(lookAlike)).toBe(false);
    expect(Flavor.isFlavor(Flavor.named('b3-8'))).toBe(true);
    expect(Flavor.isFlavor('b3-8')).toBe(false);
    expect(Peer.isPeer(Peer.ipv4('10.0.0.0/8'))).toBe(true);
  });

  test('given the brand symbol of another copy of the library, then the kind is still recognised', () => {
    const x = {};
    Object.defineProperty(x, Symbol.for('hosting-stacks.Flavor'), { value: true });
    expect(Flavor.isFlavor(x)).toBe(true);
  });

  test('given a Secret, then its stack is kept but not enumerable', () => {
    const { a } = twoStacks();
    const s = Secret.variable(a, 'db_password', 'd');
    expect(s.stack).toBe(a);
    expect(Object.keys(s)).toEqual(['variableName', 'value']);
  });
});

describe('requirePeer', () => {
  test('given a value of the kind in the same stack, then it is returned', () => {
    const { a, netA } = twoStacks();
    const scope = new Construct(a, 'X');
    expect(requirePeer(scope, 'vswitch', netA, Kinds.PRIVATE_VSWITCH)).toBe(netA);
  });

  test('given a value of another kind, then the error names path, prop, a description and what is allowed', () => {
    const { a, netA } = twoStacks();
    const scope = new Construct(a, 'X');
    expect(() => requirePeer(scope, 'router', netA, Kinds.ROUTER)).toThrow(new HostingStacksError(scope, 'router', '<PrivateVSwitch a/Net>', 'must be a Router'));
  });

  test('given nothing for a required peer, then the error says undefined', () => {
    const { a } = twoStacks();
    const scope = new Construct(a, 'X');
    expect(() => requirePeer(scope, 'flavor', undefined, Kinds.FLAVOR)).toThrow(/^a\/X: 'flavor' \(undefined\) must be a Flavor/);
  });

  test('given a peer of another stack, then it is refused naming both stacks', () => {
    const { a, netB } = twoStacks();
    const scope = new Construct(a, 'X');
    expect(() => requirePeer(scope, 'vswitch', netB, Kinds.PRIVATE_VSWITCH))
      .toThrow("a/X: 'vswitch' ('<PrivateVSwitch b/Net>') is in stack 'b'; it must be in the same stack 'a' (wiring across stacks is not supported)");
  });

  test('given a value object of no stack, then only its kind is checked', () => {
    const { a } = twoStacks();
    const scope = new Construct(a, 'X');
    const flavor = Flavor.named('b3-8');
    expect(requirePeer(scope, 'flavor', flavor, Kinds.FLAVOR)).toBe(flavor);
  });

  test('given a plain string for a secret kind, then the message shows its length, never the string', () => {
    const { a } = twoStacks();
    const scope = new Construct(a, 'X');
    let message = '';
    try {
      requirePeer(scope, 'password', 'hunter2', Kinds.SECRET);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/^a\/X: 'password' \('<a string of 7 characters>'\) must be a Secret/);
    expect(message).not.toContain('hunter2');
  });

  test('given a look-alike Secret, then the message names its keys only', () => {
    const { a } = twoStacks();
    const scope = new Construct(a, 'X');
    expect(() => requirePeer(scope, 'password', { variableName: 'p', value: 'hunter2' }, Kinds.SECRET))
      .toThrow(/^a\/X: 'password' \('<an object \{variableName, value\}>'\) must be a Secret made by Secret\.variable/);
  });

  test('given a kind with an anchor, then the anchor decides the stack', () => {
    const { a, b } = twoStacks();
    const scope = new Construct(a, 'X');
    const remote = new Construct(b, 'Y');
    const kind = { ...brandedKind<object>('Thing', 'a Thing'), anchor: () => remote };
    const thing = {};
    brand(thing, 'Thing');
    expect(() => requirePeer(scope, 'thing', thing, kind)).toThrow(/^a\/X: 'thing' \('<an object \{\}>'\) is in stack 'b'/);
  });
});

describe('interface kinds (recognised by members)', () => {
  test('given real constructs, then each is recognised as the interfaces it implements and no other', () => {
    const { a, netA } = twoStacks();
    const appTier = new AppTier(a, 'App', { vswitch: netA, count: 2, flavor: Flavor.named('b3-8') });
    const redis = new RedisServer(a, 'Redis', { vswitch: netA, flavor: Flavor.named('b3-8') });
    expect(Kinds.HTTP_BACKEND.is(appTier)).toBe(true);
    expect(Kinds.SERVER_TIER.is(appTier)).toBe(true);
    expect(Kinds.MYSQL_DATABASE.is(appTier)).toBe(false);
    expect(Kinds.REDIS_ENDPOINT.is(redis)).toBe(true);
    expect(Kinds.MYSQL_DATABASE.is(redis)).toBe(false);
    expect(Kinds.HTTP_BACKEND.is(redis)).toBe(false);
  });

  test('given a fake implementing an interface with real connections, then it is accepted', () => {
    const { a, netA } = twoStacks();
    const cluster = new ServerCluster(a, 'C', { vswitch: netA, count: 1, flavor: Flavor.named('b3-8') });
    const fake = { connections: cluster.connections, backendAddresses: ['10.0.1.2'], backendPort: 80, healthCheckPath: '/' };
    expect(Kinds.HTTP_BACKEND.is(fake)).toBe(true);
    const tier = Object.assign(new Construct(a, 'FakeTier'), { cluster, connections: cluster.connections });
    expect(Kinds.SERVER_TIER.is(tier)).toBe(true);
    // A tier is a construct (IServerTier extends IConstruct): the same members on a plain object are refused.
    expect(Kinds.SERVER_TIER.is({ cluster, connections: cluster.connections })).toBe(false);
  });

  test('given an endpoint whose password is a look-alike, then it is not a Redis endpoint', () => {
    const { a, netA } = twoStacks();
    const redis = new RedisServer(a, 'Redis', { vswitch: netA, flavor: Flavor.named('b3-8') });
    const fake = { connections: redis.connections, address: redis.address, port: redis.port, password: { variableName: 'x', value: 'hunter2' } };
    expect(Kinds.REDIS_ENDPOINT.is(fake)).toBe(false);
  });

  test('given members read through getters, then the check calls none of them (except a password)', () => {
    const { a, netA } = twoStacks();
    const cluster = new ServerCluster(a, 'C', { vswitch: netA, count: 1, flavor: Flavor.named('b3-8') });
    const plan = jest.fn();
    const tier = Object.assign(new Construct(a, 'FakeTier'), { cluster, connections: cluster.connections });
    const rules = { tier, get plan() { return plan(); } };
    expect(Kinds.SCALING_RULES.is(rules)).toBe(true);
    expect(plan).not.toHaveBeenCalled();
  });
});

describe('optionalPeer, requirePeers, requireProps, requireSameStack', () => {
  test('given undefined, then optionalPeer returns it; given a wrong kind, then it throws', () => {
    const { a } = twoStacks();
    const scope = new Construct(a, 'X');
    expect(optionalPeer(scope, 'flavor', undefined, Kinds.FLAVOR)).toBeUndefined();
    expect(() => optionalPeer(scope, 'flavor', 'b3-8', Kinds.FLAVOR)).toThrow(/^a\/X: 'flavor' \('b3-8'\) must be a Flavor/);
  });

  test('given an array with one bad item, then requirePeers names its index', () => {
    const { a } = twoStacks();
    const scope = new Construct(a, 'X');
    expect(() => requirePeers(scope, 'flavors', [Flavor.named('b3-8'), 42], Kinds.FLAVOR)).toThrow(/^a\/X: 'flavors\[1\]' \(42\) must be a Flavor/);
    expect(() => requirePeers(scope, 'flavors', Flavor.named('b3-8'), Kinds.FLAVOR)).toThrow(/^a\/X: 'flavors' \('<a NamedFlavor \{name\}>'\) must be an array, each item a Flavor/);
  });

  test('given no props, then requireProps throws naming the construct', () => {
    const { a } = twoStacks();
    const scope = new Construct(a, 'X');
    expect(() => requireProps(scope, undefined)).toThrow("a/X: 'props' (undefined) must be an object of props");
    expect(() => requireProps(scope, 'b3-8' as unknown as object)).toThrow("a/X: 'props' ('b3-8') must be an object of props");
    expect(requireProps(scope, {})).toEqual({});
  });

  test("given a Secret of another stack, then requireSameStack refuses it", () => {
    const { a, b } = twoStacks();
    const scope = new Construct(a, 'X');
    expect(() => requireSameStack(scope, 'password', Secret.variable(b, 'db_password', 'd')))
      .toThrow("a/X: 'password' ('<Secret var.db_password>') is in stack 'b'; it must be in the same stack 'a' (wiring across stacks is not supported)");
    expect(() => requireSameStack(scope, 'password', Secret.variable(a, 'db_password', 'd'))).not.toThrow();
  });
});

describe('describeValue', () => {
  test('given values of each sort, then each is short and safe', () => {
    const { netA } = twoStacks();
    expect(describeValue(3)).toBe(3);
    expect(describeValue(undefined)).toBeUndefined();
    expect(describeValue('x'.repeat(100))).toBe(`${'x'.repeat(77)}...`);
    expect(describeValue('pw', true)).toBe('<a string of 2 characters>');
    expect(describeValue(netA)).toBe('<PrivateVSwitch a/Net>');
    expect(describeValue([1, 2])).toBe('<an array of 2 items>');
    expect(describeValue(() => 1)).toBe('<a function>');
    expect(describeValue({ a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7 })).toBe('<an object {a, b, c, d, e, f, ...}>');
  });

  test('given a Peer, then it is named by its factory and what it stands for', () => {
    const { a } = twoStacks();
    const cluster = new ServerCluster(a, 'Jump', { vswitch: new PrivateVSwitch(a, 'Admin', { cidr: '10.0.9.0/24' }), count: 1, flavor: Flavor.named('b3-8') });
    expect(describeValue(Peer.ipv4('198.51.100.0/24'))).toBe('Peer.ipv4(198.51.100.0/24)');
    expect(describeValue(Peer.of(cluster))).toBe('Peer.of(<ServerCluster a/Jump>)');
  });
});

describe('Kinds.PEER', () => {
  test('given a Peer of either factory, then it is of the kind; a construct or a CIDR string is not', () => {
    const { a } = twoStacks();
    const cluster = new ServerCluster(a, 'Jump', { vswitch: new PrivateVSwitch(a, 'Admin', { cidr: '10.0.9.0/24' }), count: 1, flavor: Flavor.named('b3-8') });
    expect([Peer.ipv4('198.51.100.0/24'), Peer.of(cluster), cluster, '198.51.100.0/24'].map((x) => Kinds.PEER.is(x))).toEqual([true, true, false, false]);
    expect(Kinds.PEER_OR_CONNECTABLE.is(cluster)).toBe(true);
  });

  test('given Peer.of a construct of another stack, then requirePeer refuses it; Peer.ipv4 belongs to no stack', () => {
    const { a, b, netB } = twoStacks();
    const scope = new Construct(a, 'X');
    const other = new ServerCluster(b, 'Jump', { vswitch: netB, count: 1, flavor: Flavor.named('b3-8') });
    expect(() => requirePeer(scope, 'adminPeer', Peer.of(other), Kinds.PEER))
      .toThrow(new HostingStacksError(scope, 'adminPeer', 'Peer.of(<ServerCluster b/Jump>)', "is in stack 'b'; it must be in the same stack 'a' (wiring across stacks is not supported)"));
    const local = Peer.ipv4('198.51.100.0/24');
    expect(requirePeer(scope, 'adminPeer', local, Kinds.PEER)).toBe(local);
  });
});
