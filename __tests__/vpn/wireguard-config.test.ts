import { Port } from '../../lib/core/port';
import { renderNftablesRuleset } from '../../lib/security/nftables-firewall';
import {
  isWireguardKey,
  renderWireguardConfig,
  renderWireguardNatTable,
  renderWireguardSysctl,
  WireguardInterfaceModel,
} from '../../lib/vpn/wireguard-config';
import { checkSysctl } from '../support/config-checks';
import { checkNftables, checkWireguard } from '../support/daemons';
import { TEST_KEYS } from './wireguard-keys';


function model(overrides: Partial<WireguardInterfaceModel> = {}): WireguardInterfaceModel {
  return {
    interfaceName: 'wg0',
    hostname: 'vpn-gateway-1',
    comment: 'office VPN',
    address: '10.99.0.1/24',
    listenPort: 51820,
    privateKey: TEST_KEYS.gatewayPrivate,
    peers: [
      { name: 'madrid', publicKey: TEST_KEYS.madrid, allowedIps: ['192.168.10.0/24', '10.99.0.2/32'] },
      { name: 'valencia', publicKey: TEST_KEYS.valencia, allowedIps: ['192.168.20.0/24', '10.99.0.3/32'], endpoint: '198.51.100.7:51820', persistentKeepaliveSeconds: 25 },
    ],
    ...overrides,
  };
}

/** The `key = value` pairs of each section, in order. */
function sections(config: string): { name: string; values: Record<string, string> }[] {
  const out: { name: string; values: Record<string, string> }[] = [];
  for (const line of config.split('\n').map((l) => l.trim())) {
    const header = /^\[(\w+)\]$/.exec(line);
    if (header) out.push({ name: header[1], values: {} });
    const kv = /^(\w+)\s*=\s*(.*)$/.exec(line);
    if (kv && out.length) out[out.length - 1].values[kv[1]] = kv[2];
  }
  return out;
}

describe('isWireguardKey', () => {
  test('given keys printed by wg, when checked, then they are accepted', () => {
    for (const key of Object.values(TEST_KEYS)) expect(isWireguardKey(key)).toBe(true);
  });

  test('given malformed keys, when checked, then they are refused', () => {
    expect(isWireguardKey('')).toBe(false);
    expect(isWireguardKey(TEST_KEYS.madrid.slice(0, -1))).toBe(false);
    expect(isWireguardKey(`${TEST_KEYS.madrid.slice(0, -2)}B=`)).toBe(false);
    expect(isWireguardKey(`${TEST_KEYS.madrid.slice(0, -1)}A`)).toBe(false);
    expect(isWireguardKey(`-${TEST_KEYS.madrid.slice(1)}`)).toBe(false);
  });
});

describe('renderWireguardConfig', () => {
  test('given an interface and two peers, when rendered, then each section holds its values', () => {
    const parsed = sections(renderWireguardConfig(model()));
    expect(parsed.map((s) => s.name)).toEqual(['Interface', 'Peer', 'Peer']);
    expect(parsed[0].values).toEqual({ Address: '10.99.0.1/24', ListenPort: '51820', PrivateKey: TEST_KEYS.gatewayPrivate });
    expect(parsed[1].values).toEqual({ PublicKey: TEST_KEYS.madrid, AllowedIPs: '192.168.10.0/24, 10.99.0.2/32' });
    expect(parsed[2].values).toEqual({
      PublicKey: TEST_KEYS.valencia, AllowedIPs: '192.168.20.0/24, 10.99.0.3/32', Endpoint: '198.51.100.7:51820', PersistentKeepalive: '25',
    });
  });

  test('given the rendered file, when WireGuard parses it, then it is accepted', () => {
    const r = checkWireguard(renderWireguardConfig(model()), 'wg0.conf');
    expect(r.output).toBe('');
    expect(r.ok).toBe(true);
  });

  test('given a bad key, a bad address or a wrong file name, when WireGuard parses it, then the check fails', () => {
    expect(checkWireguard(renderWireguardConfig(model({ privateKey: 'not-a-key' }))).ok).toBe(false);
    expect(checkWireguard(renderWireguardConfig(model({ address: '10.99.0.300/24' }))).ok).toBe(false);
    expect(checkWireguard(renderWireguardConfig(model({ peers: [{ name: 'x', publicKey: TEST_KEYS.madrid, allowedIps: ['192.168.10.0/33'] }] }))).ok).toBe(false);
    expect(checkWireguard(renderWireguardConfig(model()), 'wireguard.cfg').ok).toBe(false);
  });
});

describe('renderWireguardNatTable', () => {
  test('given sources, when appended to a filter ruleset, then nft accepts the whole file and masquerades those sources only', () => {
    const nat = renderWireguardNatTable({ tableName: 'office_vpn_nat', comment: 'Test/Vpn', sources: ['192.168.10.0/24', '10.99.0.0/24'], tunnelInterface: 'wg0' });
    expect(nat).toContain('ip saddr { 192.168.10.0/24, 10.99.0.0/24 } oifname != "wg0" masquerade');
    const ruleset = renderNftablesRuleset({ hostname: 'gw', input: [{ port: Port.udp(51820), comment: 'wg' }] }) + nat;
    const r = checkNftables(ruleset);
    expect(r.output).toBe('');
    expect(r.ok).toBe(true);
  });
});

describe('renderWireguardSysctl', () => {
  test('given ip_forward, when rendered, then sysctl accepts it in a fresh namespace', () => {
    const text = renderWireguardSysctl({ comment: 'gateway', settings: [{ key: 'net.ipv4.ip_forward', value: '1' }] });
    expect(text).toMatch(/^net\.ipv4\.ip_forward = 1$/m);
    const r = checkSysctl(text);
    expect(r.ok).toBe(true);
    expect(r.output).toContain('net.ipv4.ip_forward = 1');
  });
});
