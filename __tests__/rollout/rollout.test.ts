/**
 * A configuration change reaches servers one at a time: `terraform apply` leaves running servers
 * alone (user_data and metadata are ignored), synth writes `rollout.json` (order and digests), and
 * `hosting-stacks-rollout` replaces the changed servers one by one, waiting for each to print its
 * readiness line. Terraform and the OpenStack client are played by a fake that keeps a state.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { Flavor, PrivateVSwitch, ServerCluster } from '../../lib';
import { RolloutError, rolloutPlanOf, runRollout } from '../../lib/rollout';
import { CONFIG_METADATA_KEY } from '../../lib/compute/server-cluster';
import { CommandResult } from '../../lib/rollout/rollout';
import { main } from '../../lib/rollout/cli';
import { readinessCommand } from '../../lib/compute/cloud-config';
import { RolloutPlan } from '../../lib/rollout/rollout-plan';
import { resourcesOf, synthJson, testStack } from '../support/synth';

function twoTiers(webMotd = 'hello\n') {
  const stack = testStack();
  const vswitch = new PrivateVSwitch(stack, 'Net', { cidr: '10.0.1.0/24' });
  const db = new ServerCluster(stack, 'Db', { vswitch, count: 2, flavor: Flavor.named('b3-8'), stateful: true });
  db.exemptFromBackup('test stack');
  const web = new ServerCluster(stack, 'Web', { vswitch, count: 2, maxCount: 3, flavor: Flavor.named('b3-8') });
  for (const i of web.instances) i.cloudConfig.addFile({ path: '/etc/motd', content: webMotd });
  return { stack, db, web };
}

describe('rollout plan (synth)', () => {
  test('instances ignore user_data and config digest changes, and carry the digest their last runcmd prints', () => {
    const { stack, web } = twoTiers();
    const servers = resourcesOf(synthJson(stack), 'openstack_compute_instance_v2');
    expect(servers).toHaveLength(5);
    for (const s of servers) {
      expect(s.lifecycle.ignore_changes).toEqual(['user_data', 'metadata["hosting-stacks:config"]']);
      const digest = s.metadata[CONFIG_METADATA_KEY];
      expect(digest).toMatch(/^[0-9a-f]{64}$/);
      const runcmd = (parse(s.user_data) as { runcmd: unknown[] }).runcmd;
      const last = runcmd[runcmd.length - 1] as string[];
      expect(last[2]).toContain(`hosting-stacks-ready ${s.name} ${digest}`);
      expect(last[2]).toContain(`hosting-stacks-failed ${s.name} ${digest}`);
    }
    expect(web.instances[0].configDigest()).toBe(servers.find((s) => s.name === 'web-1')!.metadata[CONFIG_METADATA_KEY]);
  });

  test('the plan replaces servers without data first, each cluster from its last server to its first', () => {
    const { stack } = twoTiers();
    const plan = rolloutPlanOf(stack);
    expect(plan.servers.map((s) => [s.hostname, s.stateful])).toEqual([
      ['web-3', false],
      ['web-2', false],
      ['web-1', false],
      ['db-2', true],
      ['db-1', true],
    ]);
    // A server that exists only while its count asks for it is addressed with its count index.
    expect(plan.servers[0].address).toMatch(/^openstack_compute_instance_v2\.Web_Instance3_[0-9A-F]{8}\[0\]$/);
    expect(plan.servers[1].address).not.toContain('[');
  });

  test('a change to one tier changes only that tier\'s digests', () => {
    const before = rolloutPlanOf(twoTiers().stack);
    const after = rolloutPlanOf(twoTiers('changed\n').stack);
    const changed = after.servers.filter((s, i) => s.configDigest !== before.servers[i].configDigest).map((s) => s.hostname);
    expect(changed).toEqual(['web-3', 'web-2', 'web-1']);
  });
});

/** A deployed stack as Terraform and the OpenStack client would show it, driven by the commands the rollout runs. */
class FakeCloud {
  readonly commands: string[] = [];
  readonly state = new Map<string, { id: string; digest: string }>();
  private nextId = 100;
  /** How many console reads a new server needs before it prints its line. */
  bootReads = 1;
  /** Host names whose boot fails (a unit fails). */
  failing = new Set<string>();
  /** The region the provider reports for every server (`values.region`), when set. */
  region?: string;
  /** The configuration digest a replaced server gets, when not the plan's (a plan synthesized before the last change). */
  applyDigest?: string;
  /** The apply leaves the replaced server out of the state (removed by someone else meanwhile). */
  applyDrops = false;
  private reads = new Map<string, number>();

  constructor(private readonly plan: RolloutPlan, applied: Record<string, string>) {
    for (const s of plan.servers) {
      if (applied[s.hostname] !== undefined) this.state.set(s.address, { id: `id-${this.nextId++}`, digest: applied[s.hostname] });
    }
  }

  run = async (argv: readonly string[]): Promise<CommandResult> => {
    this.commands.push(argv.join(' '));
    if (argv[0] === 'terraform' && argv[2] === 'show') {
      const resources = [...this.state].map(([address, v]) => ({
        address,
        type: 'openstack_compute_instance_v2',
        values: { id: v.id, ...(this.region ? { region: this.region } : {}), metadata: { 'hosting-stacks:path': 'x', [CONFIG_METADATA_KEY]: v.digest } },
      }));
      return { code: 0, stdout: JSON.stringify({ values: { root_module: { resources } } }), stderr: '' };
    }
    if (argv[0] === 'terraform' && argv[2] === 'apply') {
      const address = argv.find((a) => a.startsWith('-replace='))!.slice('-replace='.length);
      const server = this.plan.servers.find((s) => s.address === address)!;
      if (this.applyDrops) this.state.delete(address);
      else this.state.set(address, { id: `id-${this.nextId++}`, digest: this.applyDigest ?? server.configDigest });
      return { code: 0, stdout: 'Apply complete!', stderr: '' };
    }
    if (argv[0] === 'openstack') {
      const id = argv[argv.length - 1];
      const [address] = [...this.state].find(([, v]) => v.id === id)!;
      const server = this.plan.servers.find((s) => s.address === address)!;
      const n = (this.reads.get(id) ?? 0) + 1;
      this.reads.set(id, n);
      if (n <= this.bootReads) return { code: 0, stdout: '[   5.1] cloud-init[301]: Reading package lists...\n', stderr: '' };
      const line = this.failing.has(server.hostname)
        ? `hosting-stacks-failed ${server.hostname} ${server.configDigest}: apache2.service`
        : `hosting-stacks-ready ${server.hostname} ${server.configDigest}`;
      return { code: 0, stdout: `${line}\nCloud-init v. 22.4.2 finished at Sat, 05 Dec 2026 07:00:00 +0000. Up 80.00 seconds\n`, stderr: '' };
    }
    return { code: 127, stdout: '', stderr: `${argv[0]}: not found` };
  };
}

describe('hosting-stacks-rollout', () => {
  let dir = '';
  let plan: RolloutPlan;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hs-rollout-'));
    plan = rolloutPlanOf(twoTiers('changed\n').stack);
    writeFileSync(join(dir, 'rollout.json'), JSON.stringify(plan));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** web-1 and web-2 run an older configuration; web-3 does not exist (count 2); the databases are current. */
  function deployed(): FakeCloud {
    const digest = (h: string) => plan.servers.find((s) => s.hostname === h)!.configDigest;
    return new FakeCloud(plan, { 'web-1': 'old', 'web-2': 'old', 'db-1': digest('db-1'), 'db-2': digest('db-2') });
  }
  const quiet = { sleep: async () => undefined, log: () => undefined };

  test('replaces only the changed servers, one at a time, each ready before the next', async () => {
    const cloud = deployed();
    const result = await runRollout({ stackDir: dir, run: cloud.run, ...quiet });
    expect(result.servers.map((s) => [s.hostname, s.status])).toEqual([
      ['web-3', 'absent'],
      ['web-2', 'changed'],
      ['web-1', 'changed'],
      ['db-2', 'current'],
      ['db-1', 'current'],
    ]);
    expect(result.replaced).toEqual(['web-2', 'web-1']);
    expect(result.failed).toBeUndefined();
    const steps = cloud.commands.map((c) => c.replace(/^terraform -chdir=\S+ /, 'terraform ').replace(/_[0-9A-F]{8}\b/g, ''));
    expect(steps).toEqual([
      'terraform show -json',
      'terraform apply -auto-approve -input=false -replace=openstack_compute_instance_v2.Web_Instance2',
      'terraform show -json',
      'openstack console log show id-104',
      'openstack console log show id-104',
      'terraform apply -auto-approve -input=false -replace=openstack_compute_instance_v2.Web_Instance1',
      'terraform show -json',
      'openstack console log show id-105',
      'openstack console log show id-105',
    ]);
  });

  test('given servers in a region of their own (a site that is a region), then their console is read in that region', async () => {
    const cloud = deployed();
    cloud.region = 'SBG5';
    const result = await runRollout({ stackDir: dir, run: cloud.run, ...quiet });
    expect(result.replaced).toEqual(['web-2', 'web-1']);
    expect(cloud.commands.filter((c) => c.startsWith('openstack'))).toEqual([
      'openstack --os-region-name SBG5 console log show id-104', 'openstack --os-region-name SBG5 console log show id-104',
      'openstack --os-region-name SBG5 console log show id-105', 'openstack --os-region-name SBG5 console log show id-105',
    ]);
  });

  test('given an apply that creates the server with another configuration than the plan\'s, then it stops there and asks for a new synth', async () => {
    const cloud = deployed();
    cloud.applyDigest = 'newer';
    const result = await runRollout({ stackDir: dir, run: cloud.run, ...quiet });
    expect(result.failed).toEqual({ hostname: 'web-2', reason: expect.stringMatching(/was created with configuration newer, not [0-9a-f]{64}: synthesize again and rerun$/) });
    expect(result.replaced).toEqual([]);
    expect(cloud.commands.filter((c) => c.startsWith('openstack'))).toEqual([]);
  });

  test('given an apply after which the server is not in the state, then it stops there', async () => {
    const cloud = deployed();
    cloud.applyDrops = true;
    const result = await runRollout({ stackDir: dir, run: cloud.run, ...quiet });
    expect(result.failed).toEqual({ hostname: 'web-2', reason: expect.stringMatching(/^openstack_compute_instance_v2\.Web_Instance2_[0-9A-F]{8} is not in the state after the apply$/) });
    expect(result.remaining).toEqual(['web-2', 'web-1']);
  });

  test('stops at a server that does not become ready, leaving the rest as they were', async () => {
    const cloud = deployed();
    cloud.failing.add('web-2');
    const lines: string[] = [];
    const result = await runRollout({ stackDir: dir, run: cloud.run, sleep: async () => undefined, log: (l) => lines.push(l) });
    expect(result.failed).toEqual({ hostname: 'web-2', reason: expect.stringContaining('hosting-stacks-failed web-2') });
    expect(result.remaining).toEqual(['web-2', 'web-1']);
    expect(cloud.commands.filter((c) => c.includes(' apply '))).toHaveLength(1);
    expect(lines).toContain('not replaced: web-1');
  });

  test('gives up on a server that stays silent past the timeout', async () => {
    const cloud = deployed();
    cloud.bootReads = Infinity;
    let t = 0;
    const result = await runRollout({ stackDir: dir, run: cloud.run, sleep: async (ms) => void (t += ms), now: () => t, readyTimeoutMinutes: 1, pollSeconds: 10, log: () => undefined });
    expect(result.failed?.reason).toMatch(/no 'hosting-stacks-ready' line on its console within 1 min/);
    expect(cloud.commands.filter((c) => c.startsWith('openstack'))).toHaveLength(7);
  });

  test('a dry run replaces nothing; --force takes a current server; --only narrows', async () => {
    const cloud = deployed();
    const dry = await runRollout({ stackDir: dir, run: cloud.run, dryRun: true, ...quiet });
    expect(dry.remaining).toEqual(['web-2', 'web-1']);
    expect(cloud.commands).toEqual([expect.stringMatching(/show -json$/)]);
    const forced = await runRollout({ stackDir: dir, run: cloud.run, force: ['db-1'], only: ['db-1'], ...quiet });
    expect(forced.replaced).toEqual(['db-1']);
    await expect(runRollout({ stackDir: dir, run: cloud.run, force: ['db-9'], ...quiet })).rejects.toThrow(RolloutError);
    await expect(runRollout({ stackDir: dir, run: cloud.run, force: ['db-9'], ...quiet })).rejects.toThrow(/'db-9' is not a server of stack .*db-1/);
  });

  test('bad input: an unknown --only host, a timeout of 0, a digest that is not SHA-256, and bad command-line arguments', async () => {
    const cloud = deployed();
    await expect(runRollout({ stackDir: dir, run: cloud.run, only: ['web-9'], ...quiet })).rejects.toThrow(/'web-9' is not a server of stack/);
    await expect(runRollout({ stackDir: dir, run: cloud.run, readyTimeoutMinutes: 0, ...quiet })).rejects.toThrow('the readiness timeout and the poll interval must be greater than 0');
    expect(() => readinessCommand('web-1', 'abc')).toThrow("readinessCommand: 'digest' ('abc') must be a SHA-256 in hex (64 of 0-9a-f), the config digest of web-1");
    await expect(main([dir, '--ready-timeout-minutes', '-5'])).rejects.toThrow(/--ready-timeout-minutes needs a value|must be a number greater than 0/);
    await expect(main([dir, '--ready-timeout-minutes', 'soon'])).rejects.toThrow("--ready-timeout-minutes (soon) must be a number greater than 0");
    await expect(main([dir, '--only'])).rejects.toThrow('--only needs a value');
    await expect(main([dir, '--fast'])).rejects.toThrow("unexpected argument '--fast'");
    await expect(main([dir, 'second-dir'])).rejects.toThrow("unexpected argument 'second-dir'");
    await expect(main([])).rejects.toThrow(/^usage: hosting-stacks-rollout STACK_DIR/);
    expect(cloud.commands).toEqual([]);
  });

  test('the command line reads the stack directory and runs terraform from PATH', () => {
    const bin = mkdtempSync(join(tmpdir(), 'hs-rollout-bin-'));
    try {
      const web2 = plan.servers.find((s) => s.hostname === 'web-2')!;
      const state = { values: { root_module: { resources: [{ address: web2.address, type: 'openstack_compute_instance_v2', values: { id: 'x', metadata: { [CONFIG_METADATA_KEY]: 'old' } } }] } } };
      writeFileSync(join(bin, 'state.json'), JSON.stringify(state));
      writeFileSync(join(bin, 'terraform'), `#!/bin/sh\necho "$@" >> "${bin}/calls"\ncat "${bin}/state.json"\n`);
      chmodSync(join(bin, 'terraform'), 0o755);
      const r = spawnSync(process.execPath, [require.resolve('tsx/cli'), join(__dirname, '../../lib/rollout/cli.ts'), dir, '--dry-run'], {
        encoding: 'utf8',
        env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
      });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/^changed\s+web-2\s+openstack_compute_instance_v2\.Web_Instance2/m);
      expect(r.stdout).toContain('1 server(s) would be replaced, one at a time');
      const bad = spawnSync(process.execPath, [require.resolve('tsx/cli'), join(__dirname, '../../lib/rollout/cli.ts'), join(dir, 'nope')], { encoding: 'utf8' });
      expect(bad.status).toBe(2);
      expect(bad.stderr).toMatch(/rollout\.json does not exist: give the directory of a stack synthesized by hosting-stacks/);
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });
});
