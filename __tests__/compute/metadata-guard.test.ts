import { parse } from 'yaml';
import {
  DEFAULT_METADATA_GUARD,
  METADATA_GUARD_RULESET_PATH,
  METADATA_GUARD_UNIT,
  renderMetadataGuardRuleset,
  renderMetadataGuardUnit,
} from '../../lib/compute/metadata-guard';
import { CloudConfig } from '../../lib';
import { checkNftables, checkSystemdUnit } from '../support/daemons';

/** The lines of the rendered ruleset that are rules (not comments, braces or chain headers). */
function rules(ruleset: string): string[] {
  return ruleset.split('\n').map((l) => l.trim()).filter((l) => /^ip6? daddr /.test(l));
}

describe('renderMetadataGuardRuleset', () => {
  test('given the default guard, then a table of its own resets TCP to the metadata addresses from every socket not owned by root', () => {
    const text = renderMetadataGuardRuleset(DEFAULT_METADATA_GUARD);
    expect(text).toMatch(/^table inet hosting_stacks_metadata \{$/m);
    expect(text).toMatch(/type filter hook output priority filter; policy accept;/);
    expect(rules(text)).toEqual([
      'ip daddr 169.254.169.254 meta l4proto tcp meta skuid != 0 reject with tcp reset comment "metadata service: root only"',
      'ip6 daddr fe80::a9fe:a9fe meta l4proto tcp meta skuid != 0 reject with tcp reset comment "metadata service: root only"',
    ]);
  });

  test('given the default guard, then it never flushes the ruleset: it replaces only its own table', () => {
    const text = renderMetadataGuardRuleset(DEFAULT_METADATA_GUARD);
    expect(text).not.toMatch(/^\s*flush/m);
    expect(text.split('\n').filter((l) => /^(table|delete table) /.test(l))).toEqual([
      'table inet hosting_stacks_metadata',
      'delete table inet hosting_stacks_metadata',
      'table inet hosting_stacks_metadata {',
    ]);
  });

  test('given no IPv6 address, then only the IPv4 rule', () => {
    expect(rules(renderMetadataGuardRuleset({ ...DEFAULT_METADATA_GUARD, ipv6: undefined }))).toHaveLength(1);
  });

  test('nft -c accepts it', () => {
    const r = checkNftables(renderMetadataGuardRuleset(DEFAULT_METADATA_GUARD));
    expect(r.output).toBe('');
    expect(r.ok).toBe(true);
  });
});

describe('renderMetadataGuardUnit', () => {
  test('given the default guard, then the unit loads the ruleset after nftables.service and again at each restart or reload of it', () => {
    const unit = renderMetadataGuardUnit(DEFAULT_METADATA_GUARD);
    const lines = unit.split('\n');
    expect(lines).toEqual(expect.arrayContaining([
      'After=nftables.service',
      'PartOf=nftables.service',
      'ReloadPropagatedFrom=nftables.service',
      'Before=network-pre.target shutdown.target',
      'Type=oneshot',
      'RemainAfterExit=yes',
      `ExecStart=/usr/sbin/nft -f ${METADATA_GUARD_RULESET_PATH}`,
      `ExecReload=/usr/sbin/nft -f ${METADATA_GUARD_RULESET_PATH}`,
      'WantedBy=sysinit.target',
    ]));
  });

  test('systemd-analyze verify accepts it', () => {
    const r = checkSystemdUnit(renderMetadataGuardUnit(DEFAULT_METADATA_GUARD), METADATA_GUARD_UNIT);
    expect(r.output).toBe('');
    expect(r.ok).toBe(true);
  });
});

describe('CloudConfig metadata guard', () => {
  test('given a new cloud-config, then it installs nftables, writes the guard and its unit and starts the guard first', () => {
    const c = new CloudConfig('web-1');
    c.addServices('nftables', 'apache2');
    const doc = parse(c.render());
    expect(doc.packages).toContain('nftables');
    const files = Object.fromEntries((doc.write_files as { path: string; content: string; permissions: string }[]).map((f) => [f.path, f]));
    expect(files[METADATA_GUARD_RULESET_PATH].content).toBe(renderMetadataGuardRuleset(DEFAULT_METADATA_GUARD));
    expect(files[`/etc/systemd/system/${METADATA_GUARD_UNIT}`].content).toBe(renderMetadataGuardUnit(DEFAULT_METADATA_GUARD));
    expect(c.services).toEqual([METADATA_GUARD_UNIT, 'nftables', 'apache2']);
  });

  test('given metadataGuard false, then no guard, package or unit', () => {
    const c = new CloudConfig('web-1', { metadataGuard: false });
    expect(c.packages).toEqual([]);
    expect(c.hostFiles).toEqual([]);
    expect(c.services).toEqual([]);
  });
});
