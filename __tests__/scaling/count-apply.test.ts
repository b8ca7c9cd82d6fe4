/**
 * The count-only apply, run with python3 against a fake `terraform` on PATH that records its calls
 * and shows a given plan: count changes are applied from the saved plan, anything else is refused
 * before Terraform applies a thing.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderCountApplyScript } from '../../lib/scaling/scaling-schedule';
import { requireBinary, scratch } from '../support/daemons';

const s = scratch('count-apply');
const stackDir = join(s.dir, 'stack');
const bin = join(s.dir, 'bin');
const calls = join(s.dir, 'calls.txt');
const planJson = join(s.dir, 'plan.json');
const stateJson = join(s.dir, 'state.json');
let script = '';

const TF = {
  variable: { web_count: { type: 'number', default: 2 }, mysql_app_password: { type: 'string', sensitive: true } },
  resource: {
    openstack_compute_instance_v2: { Web_Instance3: { count: '${var.web_count > 2 ? 1 : 0}' }, Db_Instance1: {} },
    openstack_networking_port_v2: { Web_Instance3_Port: { count: '${var.web_count > 2 ? 1 : 0}' } },
    openstack_lb_member_v2: { Entry_Member3: { count: '${var.web_count > 2 ? 1 : 0}' } },
    openstack_networking_secgroup_rule_v2: { Web_Http: {} },
  },
};

const change = (address: string, actions: string[], mode = 'managed') => {
  const [type, rest] = address.split('.');
  return { address, mode, type, name: rest.replace(/\[\d+\]$/, ''), change: { actions } };
};

function countApply(args: string[], plan: object): { status: number | null; stdout: string; stderr: string; calls: string[] } {
  writeFileSync(calls, '');
  writeFileSync(planJson, JSON.stringify(plan));
  const r = spawnSync('python3', [script, stackDir, ...args], { encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env.PATH}` }, timeout: 20000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, calls: readFileSync(calls, 'utf8').trim().split('\n').filter(Boolean) };
}

beforeAll(() => {
  requireBinary('python3');
  s.write('stack/cdk.tf.json', JSON.stringify(TF));
  s.write('stack/campaigns/halloween.tfvars.json', JSON.stringify({ web_count: 3 }));
  s.write('stack/campaigns/bad.tfvars.json', JSON.stringify({ web_count: 3, mysql_app_password: 'x' }));
  script = s.write('count-apply.py', renderCountApplyScript('shop'));
  // A fake terraform: records argv; `plan -out=F` writes F; `show -json` prints the given plan.
  s.write('bin/terraform', `#!/bin/sh
echo "$*" >> '${calls}'
case "$2" in
  plan) [ -e '${bin}/fail-plan' ] && exit 1; for a in "$@"; do case "$a" in -out=*) : > "$(echo "$1" | sed 's/^-chdir=//')/\${a#-out=}" ;; esac; done ;;
  show) if [ -n "$4" ]; then cat '${planJson}'; elif [ -e '${stateJson}' ]; then cat '${stateJson}'; else echo '{"format_version":"1.0"}'; fi ;;
esac
`);
  chmodSync(join(bin, 'terraform'), 0o755);
});
afterAll(() => s.cleanup());

describe('count-apply.py', () => {
  test('given a campaign\'s counts and a plan that only creates count-driven resources, then the saved plan is applied', () => {
    const r = countApply(['-var-file=campaigns/halloween.tfvars.json'], {
      resource_changes: [
        change('openstack_compute_instance_v2.Web_Instance3[0]', ['create']),
        change('openstack_networking_port_v2.Web_Instance3_Port[0]', ['create']),
        change('openstack_lb_member_v2.Entry_Member3[0]', ['create']),
        change('openstack_compute_instance_v2.Db_Instance1', ['no-op']),
        change('data.openstack_images_image_v2.Debian', ['read'], 'data'),
      ],
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.calls).toEqual([
      `-chdir=${stackDir} plan -input=false -lock-timeout=15m -out=.hosting-stacks-count.plan -var-file=campaigns/halloween.tfvars.json`,
      `-chdir=${stackDir} show -json .hosting-stacks-count.plan`,
      `-chdir=${stackDir} apply -input=false -lock-timeout=15m .hosting-stacks-count.plan`,
    ]);
    expect(r.stdout).toContain('3 change(s): openstack_compute_instance_v2.Web_Instance3[0]: create');
    expect(existsSync(join(stackDir, '.hosting-stacks-count.plan'))).toBe(false);
  });

  test('given a plan that also changes something else, or replaces a counted server, then nothing is applied and the changes are listed', () => {
    const r = countApply(['-var=web_count=3'], {
      resource_changes: [
        change('openstack_compute_instance_v2.Web_Instance3[0]', ['create']),
        change('openstack_networking_secgroup_rule_v2.Web_Http', ['delete', 'create']),
        change('openstack_compute_instance_v2.Db_Instance1', ['update']),
        change('openstack_networking_port_v2.Web_Instance3_Port[0]', ['delete', 'create']),
      ],
    });
    expect(r.status).toBe(3);
    expect(r.calls.map((c) => c.split(' ')[1])).toEqual(['plan', 'show']);
    expect(r.stderr).toContain('refused: the plan changes more than the counts {"web_count": "3"}');
    expect(r.stderr).toContain('openstack_networking_secgroup_rule_v2.Web_Http: delete/create');
    expect(r.stderr).toContain('openstack_compute_instance_v2.Db_Instance1: update');
    expect(r.stderr).toContain('openstack_networking_port_v2.Web_Instance3_Port[0]: delete/create');
    expect(r.stderr).not.toContain('Web_Instance3[0]: create');
    expect(existsSync(join(stackDir, '.hosting-stacks-count.plan'))).toBe(false);
  });

  test('given a variable that is not a count, or a count that is not a whole number, then Terraform is never run', () => {
    const secret = countApply(['-var-file=campaigns/bad.tfvars.json'], {});
    expect(secret.status).toBe(2);
    expect(secret.stderr).toContain('mysql_app_password is not a count variable of the stack (those are: web_count)');
    const half = countApply(['-var=web_count=2.5'], {});
    expect(half.status).toBe(2);
    expect(half.stderr).toContain("web_count='2.5' is not a whole number");
    const other = countApply(['-target=openstack_compute_instance_v2.Db_Instance1'], {});
    expect(other.status).toBe(2);
    expect([...secret.calls, ...half.calls, ...other.calls]).toEqual([]);
  });

  test('given a missing var file or a -var without a value, then Terraform is never run; given a failing plan, then nothing is applied', () => {
    const missing = countApply(['-var-file=campaigns/none.tfvars.json'], {});
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/cannot read .*campaigns\/none\.tfvars\.json as JSON/);
    const bare = countApply(['-var=web_count'], {});
    expect(bare.status).toBe(2);
    expect(bare.stderr).toContain('-var=web_count must be -var=NAME=N');
    expect([...missing.calls, ...bare.calls]).toEqual([]);
    writeFileSync(join(bin, 'fail-plan'), '');
    try {
      const r = countApply(['-var=web_count=3'], {});
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/terraform -chdir=\S+ plan exited with 1/);
      expect(r.calls.map((c) => c.split(' ')[1])).toEqual(['plan']);
      expect(existsSync(join(stackDir, '.hosting-stacks-count.plan'))).toBe(false);
    } finally {
      rmSync(join(bin, 'fail-plan'));
    }
  });

  test('given a count change that also updates the monitoring server\'s count metadata in place, then it is applied; any other metadata or attribute change is refused', () => {
    const monitoring = (before: object, after: object, afterUnknown: object = {}) => ({
      ...change('openstack_compute_instance_v2.Monitoring_Instance1', ['update']),
      change: { actions: ['update'], before, after, after_unknown: afterUnknown },
    });
    const base = { name: 'monitoring-1', flavor_name: 'b3-8', metadata: { 'hosting-stacks:path': 'shop/Monitoring', 'hosting-stacks:config': 'abc', 'hosting-stacks:count:web_count': '2' } };
    const counted = { ...base, metadata: { ...base.metadata, 'hosting-stacks:count:web_count': '3' } };
    const ok = countApply(['-var=web_count=3'], { resource_changes: [change('openstack_compute_instance_v2.Web_Instance3[0]', ['create']), monitoring(base, counted, { metadata: {} })] });
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect(ok.calls.map((c) => c.split(' ')[1])).toEqual(['plan', 'show', 'apply']);
    expect(ok.stdout).toContain('openstack_compute_instance_v2.Monitoring_Instance1: update');
    for (const [what, after, unknown] of [
      ['another metadata key', { ...counted, metadata: { ...counted.metadata, 'hosting-stacks:path': 'shop/Other' } }, {}],
      ['another attribute', { ...counted, flavor_name: 'b3-16' }, {}],
      ['a value known only after apply', counted, { metadata: {}, access_ip_v4: true }],
    ] as const) {
      const r = countApply(['-var=web_count=3'], { resource_changes: [monitoring(base, after, unknown)] });
      expect([what, r.status]).toEqual([what, 3]);
      expect(r.stderr).toContain('openstack_compute_instance_v2.Monitoring_Instance1: update');
      expect(r.calls.map((c) => c.split(' ')[1])).toEqual(['plan', 'show']);
    }
  });

  test('given --keep-raised, then a count below the one last applied stays at it; a count above it, or without a state, applies as given', () => {
    const state = (web: string) => ({
      values: { root_module: { resources: [{ type: 'openstack_compute_instance_v2', name: 'Monitoring_Instance1', values: { metadata: { 'hosting-stacks:count:web_count': web } } }] } },
    });
    const creates = { resource_changes: [change('openstack_compute_instance_v2.Web_Instance3[0]', ['create'])] };
    try {
      // The hook raised web_count to 5; the campaign's end step asks for the default (2): it stays at 5.
      writeFileSync(stateJson, JSON.stringify(state('5')));
      const kept = countApply(['--keep-raised=web_count'], { resource_changes: [] });
      expect(kept.status).toBe(0);
      expect(kept.calls).toEqual([
        `-chdir=${stackDir} show -json`,
        `-chdir=${stackDir} plan -input=false -lock-timeout=15m -out=.hosting-stacks-count.plan -var=web_count=5`,
        `-chdir=${stackDir} show -json .hosting-stacks-count.plan`,
      ]);
      expect(kept.stdout).toContain('web_count stays at 5, the count last applied (asked: 2)');
      // A campaign's file asking for 3 while 5 are applied: the last -var wins in Terraform, 5.
      const file = countApply(['--keep-raised=web_count', '-var-file=campaigns/halloween.tfvars.json'], { resource_changes: [] });
      expect(file.calls[1]).toBe(`-chdir=${stackDir} plan -input=false -lock-timeout=15m -out=.hosting-stacks-count.plan -var-file=campaigns/halloween.tfvars.json -var=web_count=5`);
      // Asking for more than applied: applied as asked.
      writeFileSync(stateJson, JSON.stringify(state('2')));
      const up = countApply(['--keep-raised=web_count', '-var=web_count=3'], creates);
      expect(up.status).toBe(0);
      expect(up.calls[1]).toBe(`-chdir=${stackDir} plan -input=false -lock-timeout=15m -out=.hosting-stacks-count.plan -var=web_count=3`);
      expect(up.calls.map((c) => c.split(' ')[1])).toEqual(['show', 'plan', 'show', 'apply']);
    } finally {
      rmSync(stateJson, { force: true });
    }
    // No state yet (the first apply): the given counts apply.
    const fresh = countApply(['--keep-raised=web_count', '-var=web_count=3'], creates);
    expect(fresh.status).toBe(0);
    expect(fresh.calls[1]).toContain('-var=web_count=3');
    // Only count variables can be kept.
    const bad = countApply(['--keep-raised=mysql_app_password'], {});
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--keep-raised: mysql_app_password is not a count variable of the stack (those are: web_count)');
    expect(bad.calls).toEqual([]);
  });

  test('given counts that change nothing, then nothing is applied', () => {
    const r = countApply(['-var=web_count=2'], { resource_changes: [change('openstack_compute_instance_v2.Db_Instance1', ['no-op'])] });
    expect(r.status).toBe(0);
    expect(r.calls.map((c) => c.split(' ')[1])).toEqual(['plan', 'show']);
    expect(r.stdout).toContain('0 change(s): none');
  });
});
