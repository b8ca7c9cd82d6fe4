import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TerraformStack, Testing } from 'cdktf';
import { parse } from 'yaml';
import { CampaignCalendar } from '../../lib/scaling/campaign-calendar';
import { CapacityModel } from '../../lib/scaling/capacity-model';
import { PrometheusScaling } from '../../lib/scaling/prometheus-scaling';
import { ScalingRules } from '../../lib/scaling/scaling-rules';
import { buildScalingSchedule, renderCampaignTfvars } from '../../lib/scaling/scaling-schedule';
import { HostingApp } from '../../lib/stack/hosting-stack';
import { requireBinary, run, scratch } from '../support/daemons';
import { scalableStack } from './scaling-fixtures';
import { runPickStep } from '../support/scaling-workflow';

interface Step { at: string; action: string; campaign: string | null; varFile: string | null; counts: Record<string, number>; args: string[]; cron: string; year: number }

/**
 * Two tiers share a UTC calendar: app (500 users each, 10 min boot) and web (2,000 users each, 5 min boot).
 * halloween 1-31 Oct: 4,000 users -> app 10, web 3; black-friday 26-29 Nov: 1,000 -> app 3 (web 2, baseline);
 * cyber 28 Nov - 2 Dec: 2,500 -> app 6, web 2: overlaps black-friday from the 28th.
 */
function shop(outdir: string) {
  const app = new HostingApp({ outdir });
  const s = scalableStack(app);
  const calendar = new CampaignCalendar(s.stack, 'Campaigns', { preWarmMinutes: 0 });
  const appRules = new ScalingRules(s.stack, 'AppScaling', { tier: s.appTier, capacity: CapacityModel.forTier(s.appTier, { usersPerInstance: 500, bootMinutes: 10 }), calendar });
  // Campaigns added after the first rules and before the second: both must be in every file.
  calendar.addCampaign('halloween', { start: '2027-10-01T00:00', end: '2027-11-01T00:00', peak: { concurrentUsers: 4000 } });
  const webRules = new ScalingRules(s.stack, 'WebScaling', { tier: s.web, capacity: CapacityModel.forTier(s.web, { usersPerInstance: 2000, bootMinutes: 5 }), calendar });
  calendar.addCampaign('black-friday', { start: '2027-11-26T00:00', end: '2027-11-29T00:00', peak: { concurrentUsers: 1000 } });
  calendar.addCampaign('cyber', { start: '2027-11-28T00:00', end: '2027-12-02T00:00', peak: { concurrentUsers: 2500 } });
  return { app, ...s, calendar, appRules, webRules };
}

describe('what the scaling rules compile to for Terraform', () => {
  let outdir: string;
  let dir: string;
  let steps: Step[];
  beforeAll(() => {
    outdir = mkdtempSync(join(tmpdir(), 'hs-scaling-'));
    shop(outdir).app.synth();
    dir = join(outdir, 'stacks', 'shop');
    steps = JSON.parse(readFileSync(join(dir, 'scaling', 'schedule.json'), 'utf8')).steps;
  });
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));
  const read = (rel: string) => readFileSync(join(dir, rel), 'utf8');

  test('one tfvars file per campaign holds every followed tier\'s count for it', () => {
    expect(JSON.parse(read('campaigns/halloween.tfvars.json'))).toEqual({ app_servers_count: 10, web_servers_count: 3 });
    expect(JSON.parse(read('campaigns/black-friday.tfvars.json'))).toEqual({ app_servers_count: 3, web_servers_count: 2 });
    expect(JSON.parse(read('campaigns/cyber.tfvars.json'))).toEqual({ app_servers_count: 6, web_servers_count: 2 });
  });

  test('the tfvars name the variables the clusters declare, whose default is the baseline', () => {
    const tf = JSON.parse(read('cdk.tf.json'));
    expect(tf.variable.app_servers_count).toMatchObject({ type: 'number', default: 2 });
    expect(tf.variable.web_servers_count).toMatchObject({ type: 'number', default: 2 });
  });

  test('schedule.json lists, by time, when to apply which file and the counts from then on (hand-computed)', () => {
    const schedule = JSON.parse(read('scaling/schedule.json'));
    expect(schedule).toMatchObject({ stack: 'shop', calendar: 'shop/Campaigns', stackDirectory: 'cdktf.out/stacks/shop', timeZone: 'UTC' });
    expect(schedule.variables).toEqual([
      { name: 'app_servers_count', tier: 'shop/App', minCount: 2, baselineCount: 2, maxCount: 10 },
      { name: 'web_servers_count', tier: 'shop/Web', minCount: 2, baselineCount: 2, maxCount: 6 },
    ]);
    expect(steps.map((s) => [s.at, s.campaign, s.varFile, s.counts, s.args])).toEqual([
      // The app boots in 10 min, the web in 5: the app goes first, then both match halloween's file.
      ['2027-09-30T23:50:00.000Z', 'halloween', null, { app_servers_count: 10, web_servers_count: 2 }, ['-var=app_servers_count=10', '-var=web_servers_count=2']],
      ['2027-09-30T23:55:00.000Z', 'halloween', 'campaigns/halloween.tfvars.json', { app_servers_count: 10, web_servers_count: 3 }, ['-var-file=campaigns/halloween.tfvars.json']],
      ['2027-11-01T00:00:00.000Z', null, null, { app_servers_count: 2, web_servers_count: 2 }, []],
      ['2027-11-25T23:50:00.000Z', 'black-friday', 'campaigns/black-friday.tfvars.json', { app_servers_count: 3, web_servers_count: 2 }, ['-var-file=campaigns/black-friday.tfvars.json']],
      // cyber's larger count from its window on; black-friday still runs, cyber's file holds the counts.
      ['2027-11-27T23:50:00.000Z', 'black-friday+cyber', 'campaigns/cyber.tfvars.json', { app_servers_count: 6, web_servers_count: 2 }, ['-var-file=campaigns/cyber.tfvars.json']],
      ['2027-12-02T00:00:00.000Z', null, null, { app_servers_count: 2, web_servers_count: 2 }, []],
    ]);
    expect(steps.every((s) => s.action === 'apply')).toBe(true);
    const times = steps.map((s) => Date.parse(s.at));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });

  test('every crontab line has 5 UTC time fields matching its step, checks the year and applies the step\'s arguments', () => {
    const lines = read('scaling/crontab').split('\n').filter((l) => l && !l.startsWith('#') && !/^[A-Z_]+=/.test(l));
    expect(lines).toHaveLength(steps.length);
    lines.forEach((line, i) => {
      const fields = line.split(' ');
      const at = new Date(steps[i].at);
      expect(fields.slice(0, 5)).toEqual([String(at.getUTCMinutes()), String(at.getUTCHours()), String(at.getUTCDate()), String(at.getUTCMonth() + 1), '*']);
      expect(line).toContain(`[ "$(date -u +\\%Y)" = ${at.getUTCFullYear()} ]`);
      expect(line.endsWith(`python3 "$STACK_DIR/scaling/count-apply.py" "$STACK_DIR"${steps[i].args.map((a) => ` ${a}`).join('')}`)).toBe(true);
    });
    expect(read('scaling/crontab')).toContain('STACK_DIR=/srv/hosting-stacks/cdktf.out/stacks/shop\n');
  });

  test('the CI example is valid YAML with one schedule cron per step, a manual trigger and the apply', () => {
    const wf = parse(read('scaling/github-actions.yml'));
    expect(wf.name).toBe('scaling-shop');
    expect(wf.on.schedule.map((s: { cron: string }) => s.cron)).toEqual(steps.map((s) => s.cron));
    expect(wf.on.schedule.every((s: { cron: string }) => s.cron.split(' ').length === 5)).toBe(true);
    expect(wf.on.workflow_dispatch.inputs.step.options).toEqual(['baseline', ...steps.map((s) => s.at)]);
    const apply = wf.jobs.apply.steps.find((s: { name?: string }) => s.name === 'Apply the step');
    expect(apply.run).toContain('terraform -chdir=cdktf.out/stacks/shop init -input=false');
    expect(apply.run).toContain('python3 cdktf.out/stacks/shop/scaling/count-apply.py cdktf.out/stacks/shop${{ steps.pick.outputs.keep }} ${{ steps.pick.outputs.args }}');
    expect(wf.jobs.apply.env.OS_AUTH_TYPE).toBe('v3applicationcredential');
    // The state bucket's S3 user, for StateBackend.ovhObjectStorage.
    expect(wf.jobs.apply.env.AWS_ACCESS_KEY_ID).toBe('${{ secrets.AWS_ACCESS_KEY_ID }}');
    expect(wf.on.workflow_dispatch.inputs.counts).toMatchObject({ required: false, type: 'string', default: '' });
    expect(wf.on.workflow_dispatch.inputs.step.required).toBe(false);
    expect(read('scaling/github-actions.yml')).toContain('copy it to .github/workflows/scaling-shop.yml');
  });

  describe('run for real', () => {
    let tf: ReturnType<typeof scratch>;
    let env: NodeJS.ProcessEnv;
    // A Terraform module with the stack's own count variables (their validation included), one
    // count-driven resource per tier (terraform_data: no provider to download) and the counts as an
    // output: applying a step there shows what the step sets, offline. Named cdk.tf.json, as the
    // synthesized stack's, since the count-only apply reads which resources the counts drive.
    const module = (extra: Record<string, object> = {}) => {
      const stackTf = JSON.parse(read('cdk.tf.json'));
      const names = ['app_servers_count', 'web_servers_count'];
      return JSON.stringify({
        variable: Object.fromEntries(names.map((n) => [n, stackTf.variable[n]])),
        resource: { terraform_data: { ...Object.fromEntries(names.map((n) => [n.replace('_servers_count', ''), { count: `\${var.${n}}`, input: n }])), ...extra } },
        output: { counts: { value: Object.fromEntries(names.map((n) => [n, `\${var.${n}}`])) } },
      });
    };
    beforeAll(() => {
      requireBinary('terraform');
      requireBinary('dash');
      requireBinary('python3');
      tf = scratch('scaling-tf');
      tf.write('cdk.tf.json', module());
      cpSync(join(dir, 'campaigns'), join(tf.dir, 'campaigns'), { recursive: true });
      cpSync(join(dir, 'scaling'), join(tf.dir, 'scaling'), { recursive: true });
      env = { ...process.env, TF_IN_AUTOMATION: '1', TF_CLI_CONFIG_FILE: '/dev/null' };
      const init = run(['terraform', `-chdir=${tf.dir}`, 'init', '-input=false'], { env });
      if (!init.ok) throw new Error(init.output);
    });
    afterAll(() => tf?.cleanup());
    const output = () => JSON.parse(run(['terraform', `-chdir=${tf.dir}`, 'output', '-json', 'counts'], { env }).output);

    test('terraform accepts every step\'s arguments and ends with the step\'s counts', () => {
      for (const s of steps) {
        const r = run(['terraform', `-chdir=${tf.dir}`, 'apply', '-input=false', '-auto-approve', ...s.args], { env });
        expect(r.output).not.toMatch(/Error/);
        expect(output()).toEqual(s.counts);
      }
    });

    test('terraform rejects a count above the tier\'s maxCount (the variable\'s validation)', () => {
      const r = run(['terraform', `-chdir=${tf.dir}`, 'apply', '-input=false', '-auto-approve', '-var=app_servers_count=11'], { env });
      expect(r.ok).toBe(false);
      expect(r.output).toContain('app_servers_count must be a whole number from 2 to 10.');
    });

    test('the crontab\'s commands, run by sh as cron would, apply their step in its year and nothing in another', () => {
      const bin = join(tf.dir, 'fake-bin');
      mkdirSync(bin);
      const lines = read('scaling/crontab').split('\n').filter((l) => /^\d/.test(l));
      const command = (line: string) => line.split(' ').slice(5).join(' ').replace(/\\%/g, '%'); // cron turns \% into %
      const runLine = (line: string, year: number) => {
        writeFileSync(join(bin, 'date'), `#!/bin/sh\n[ "$2" = "+%Y" ] && echo ${year}\n`);
        chmodSync(join(bin, 'date'), 0o755);
        return run(['dash', '-c', command(line)], { env: { ...env, PATH: `${bin}:${process.env.PATH}`, STACK_DIR: tf.dir, ENV_FILE: '/dev/null' } });
      };
      run(['terraform', `-chdir=${tf.dir}`, 'apply', '-input=false', '-auto-approve'], { env });
      const halloween = lines[1];
      expect(runLine(halloween, 2028).status).toBe(1); // the year check stops it
      expect(output()).toEqual({ app_servers_count: 2, web_servers_count: 2 });
      lines.forEach((line, i) => {
        const r = runLine(line, steps[i].year);
        expect(r.output).not.toMatch(/Error/);
        expect(output()).toEqual(steps[i].counts);
      });
    });

    test('the count-only apply, with the real terraform, refuses a plan that changes more than the counts and applies nothing', () => {
      run(['terraform', `-chdir=${tf.dir}`, 'apply', '-input=false', '-auto-approve'], { env });
      tf.write('cdk.tf.json', module({ unreviewed: { input: 'a change that is not a count' } }));
      try {
        const r = run(['python3', join(tf.dir, 'scaling/count-apply.py'), tf.dir, '-var=app_servers_count=5'], { env });
        expect(r.status).toBe(3);
        // Listed: only what the counts do not explain.
        expect(r.output).toMatch(/^  terraform_data\.unreviewed: create$/m);
        expect(r.output).not.toMatch(/^  terraform_data\.app\[\d\]: create$/m);
        expect(output()).toEqual({ app_servers_count: 2, web_servers_count: 2 });
        const state = run(['terraform', `-chdir=${tf.dir}`, 'state', 'list'], { env }).output;
        expect(state).not.toContain('terraform_data.unreviewed');
        expect(state).not.toContain('terraform_data.app[2]');
      } finally {
        tf.write('cdk.tf.json', module());
      }
      const ok = run(['python3', join(tf.dir, 'scaling/count-apply.py'), tf.dir, '-var=app_servers_count=5'], { env });
      expect(ok.status).toBe(0);
      expect(ok.output).toContain('3 change(s): terraform_data.app[2]: create, terraform_data.app[3]: create, terraform_data.app[4]: create');
      expect(run(['terraform', `-chdir=${tf.dir}`, 'state', 'list'], { env }).output).toContain('terraform_data.app[4]');
    });

    test('the CI example\'s pick step maps each schedule cron (in its year) and each manual choice to the step\'s arguments', () => {
      const bin = join(tf.dir, 'fake-bin-ci');
      mkdirSync(bin);
      writeFileSync(join(bin, 'date'), '#!/bin/sh\necho 2027\n');
      chmodSync(join(bin, 'date'), 0o755);
      const pickArgs = (event: 'schedule' | 'workflow_dispatch', schedule: string, step: string) => {
        const r = runPickStep(join(dir, 'scaling', 'github-actions.yml'), { event, schedule, step }, bin);
        if (r.ok) expect(r.written.startsWith('keep=\n')).toBe(true);
        return { ok: r.ok, output: r.output, args: r.written.replace(/^keep=\n/, '') };
      };
      for (const s of steps) {
        const expected = `args=${s.args.map((a) => ` ${a}`).join('')}\n`;
        expect(pickArgs('schedule', s.cron, '').args).toBe(expected);
        expect(pickArgs('workflow_dispatch', '', s.at).args).toBe(expected);
      }
      expect(pickArgs('workflow_dispatch', '', 'baseline').args).toBe('args=\n');
      const unknown = pickArgs('schedule', '1 2 3 4 *', '');
      expect(unknown.ok).toBe(false);
      expect(unknown.output).toContain("no step of scaling/schedule.json matches '2027 1 2 3 4 *'");
    });

    /** Runs the pick step as a workflow_dispatch with `counts` (and `step`) at `now`; the outputs it wrote. */
    const pickCounts = (counts: string, now: string, step = '') => {
      const bin = join(tf.dir, 'fake-bin-now');
      mkdirSync(bin, { recursive: true });
      writeFileSync(join(bin, 'date'), `#!/bin/sh\ncase "$*" in *%Y-%m-%d*) echo ${now} ;; *) echo ${now.slice(0, 4)} ;; esac\n`);
      chmodSync(join(bin, 'date'), 0o755);
      return runPickStep(join(dir, 'scaling', 'github-actions.yml'), { event: 'workflow_dispatch', step, counts }, bin);
    };

    test('given counts (the scaling hook\'s dispatch), the pick step applies them over the step in force, an open campaign\'s count holding', () => {
      // Before the first step: the baseline, and the counts given.
      expect(pickCounts('{"web_servers_count":4}', '2027-01-05T10:00:00Z').written).toBe('keep=\nargs= -var=web_servers_count=4\n');
      // During halloween (app 10, web 3): its file, then the counts, never below its counts.
      const halloween = steps.filter((x) => x.campaign === 'halloween').pop()!;
      expect(halloween.varFile).toBe('campaigns/halloween.tfvars.json');
      expect(pickCounts('{"web_servers_count":2,"app_servers_count":10}', '2027-10-15T12:00:00Z').written)
        .toBe('keep=\nargs= -var-file=campaigns/halloween.tfvars.json -var=app_servers_count=10 -var=web_servers_count=3\n');
      expect(pickCounts('{"web_servers_count":5}', '2027-10-15T12:00:00Z').written).toBe('keep=\nargs= -var-file=campaigns/halloween.tfvars.json -var=web_servers_count=5\n');
      // After the last step (the baseline again): the counts as given.
      expect(pickCounts('{"app_servers_count":2}', '2027-12-20T00:00:00Z').written).toBe('keep=\nargs= -var=app_servers_count=2\n');
    });

    test('the pick step applies the hook\'s counts for real: terraform ends with them', () => {
      run(['terraform', `-chdir=${tf.dir}`, 'apply', '-input=false', '-auto-approve'], { env });
      const picked = pickCounts('{"web_servers_count":5,"app_servers_count":4}', '2027-10-15T12:00:00Z');
      const args = /args=(.*)\n/.exec(picked.written)![1].trim().split(' ');
      const r = run(['python3', join(tf.dir, 'scaling/count-apply.py'), tf.dir, ...args], { env });
      expect(r.output).not.toMatch(/Error/);
      expect(r.status).toBe(0);
      // app: halloween's 10 holds over the 4 asked; web: 5 over halloween's 3.
      expect(output()).toEqual({ app_servers_count: 10, web_servers_count: 5 });
    });

    test.each([
      ['{"web_servers_count":', 'the counts input is not JSON'],
      ['[4]', 'the counts input must be a JSON object of count variables: app_servers_count, web_servers_count'],
      ['{"db_count":3}', "'db_count' is not a count variable of the stack (app_servers_count, web_servers_count)"],
      ['{"web_servers_count":7}', 'web_servers_count must be a whole number from 2 to 6, not 7'],
      ['{"web_servers_count":2.5}', 'web_servers_count must be a whole number from 2 to 6, not 2.5'],
      ['{"web_servers_count":"4"}', 'web_servers_count must be a whole number from 2 to 6, not "4"'],
    ])('the pick step refuses counts %s, saying why, and picks nothing', (counts, message) => {
      const r = pickCounts(counts, '2027-10-15T12:00:00Z');
      expect(r.ok).toBe(false);
      expect(r.output).toContain(`::error::${message}`);
      expect(r.written).toBe('');
    });

    test('the pick step refuses a step and counts together', () => {
      const r = pickCounts('{"web_servers_count":4}', '2027-10-15T12:00:00Z', 'baseline');
      expect(r.ok).toBe(false);
      expect(r.output).toContain('::error::give the step or the counts, not both');
    });

    test('the apply step refuses a local state before terraform runs, saying how to share it', () => {
      const wf = parse(read('scaling/github-actions.yml'));
      const apply = wf.jobs.apply.steps.find((x: { name?: string }) => x.name === 'Apply the step');
      const guard = (apply.run as string).split('terraform -chdir')[0];
      const work = join(tf.dir, 'guard');
      const withBackend = (backend: object | undefined) => {
        mkdirSync(join(work, 'cdktf.out/stacks/shop'), { recursive: true });
        writeFileSync(join(work, 'cdktf.out/stacks/shop/cdk.tf.json'), JSON.stringify({ terraform: backend ? { backend } : {} }));
        return run(['bash', '-e', '-c', guard], { cwd: work });
      };
      const local = withBackend(JSON.parse(read('cdk.tf.json')).terraform.backend);
      expect(Object.keys(JSON.parse(read('cdk.tf.json')).terraform.backend)).toEqual(['local']);
      expect(local.ok).toBe(false);
      expect(local.output).toContain("::error::the stack's Terraform state is local");
      expect(withBackend(undefined).ok).toBe(false);
      expect(withBackend({ s3: { bucket: 'acme-tfstate', key: 'shop/terraform.tfstate' } }).ok).toBe(true);
    });
  });
});

describe('the schedule model', () => {
  test('a calendar without campaigns writes an empty schedule and a workflow with only the manual trigger', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'hs-scaling-'));
    try {
      const app = new HostingApp({ outdir });
      const s = scalableStack(app);
      const calendar = new CampaignCalendar(s.stack, 'Campaigns');
      new ScalingRules(s.stack, 'AppScaling', { tier: s.appTier, calendar });
      app.synth();
      const dir = join(outdir, 'stacks', 'shop');
      expect(JSON.parse(readFileSync(join(dir, 'scaling', 'schedule.json'), 'utf8')).steps).toEqual([]);
      const wf = parse(readFileSync(join(dir, 'scaling', 'github-actions.yml'), 'utf8'));
      expect(wf.on.schedule).toBeUndefined();
      expect(wf.on.workflow_dispatch.inputs.step.options).toEqual(['baseline']);
      expect(existsSync(join(dir, 'campaigns'))).toBe(false);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });

  test('the stack\'s variables without a default are listed, for the cron environment file and the CI secrets', () => {
    const s = scalableStack();
    const calendar = new CampaignCalendar(s.stack, 'Campaigns');
    new ScalingRules(s.stack, 'AppScaling', { tier: s.appTier, calendar });
    const schedule = buildScalingSchedule(calendar);
    expect(schedule.requiredVariables).toContain('ssh_public_key');
    expect(schedule.requiredVariables).not.toContain('app_servers_count');
  });

  test('a tier a scaling hook also scales is only raised by the steps: every crontab line and the CI apply pass --keep-raised', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'hs-scaling-'));
    try {
      const s = shop(outdir);
      new PrometheusScaling(s.stack, 'Monitoring', { vswitch: s.vswitch, rules: [s.webRules] });
      expect(buildScalingSchedule(s.calendar).keepRaised).toEqual(['web_servers_count']);
      s.app.synth();
      const dir = join(outdir, 'stacks', 'shop');
      expect(JSON.parse(readFileSync(join(dir, 'scaling', 'schedule.json'), 'utf8')).keepRaised).toEqual(['web_servers_count']);
      const lines = readFileSync(join(dir, 'scaling', 'crontab'), 'utf8').split('\n').filter((l) => !l.startsWith('#') && l.includes('count-apply.py'));
      expect(lines.length).toBeGreaterThan(0);
      for (const line of lines) expect(line).toContain('"$STACK_DIR" --keep-raised=web_servers_count');
      const wf = parse(readFileSync(join(dir, 'scaling', 'github-actions.yml'), 'utf8'));
      const apply = wf.jobs.apply.steps.find((x: { name?: string }) => x.name === 'Apply the step');
      expect(apply.run).toContain('count-apply.py cdktf.out/stacks/shop${{ steps.pick.outputs.keep }} ${{ steps.pick.outputs.args }}');
      // A calendar step keeps what the hook raised; the hook's own counts (input `counts`) do not.
      const pick = wf.jobs.apply.steps.find((x: { id?: string }) => x.id === 'pick');
      expect(pick.run).toContain('echo "keep= --keep-raised=web_servers_count" >> "$GITHUB_OUTPUT"');
      expect(pick.run).toContain('echo "keep=" >> "$GITHUB_OUTPUT"');
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });

  test('a calendar outside a HostingStack cannot be followed', () => {
    // ScalingRules require the same stack, so only a plain TerraformStack with both can reach this.
    const stack = new TerraformStack(Testing.app(), 'plain');
    const calendar = new CampaignCalendar(stack, 'Campaigns');
    expect(() => calendar.addScalingRules({ tier: undefined as never, plan: undefined as never }))
      .toThrow("plain/Campaigns: 'scope' ('plain') must be a HostingStack: the campaign files are written next to its Terraform");
  });

  test('campaign tfvars are sorted JSON objects ending with a newline', () => {
    expect(renderCampaignTfvars({ web_servers_count: 3, app_servers_count: 10 })).toBe('{\n  "app_servers_count": 10,\n  "web_servers_count": 3\n}\n');
  });
});
