import { gunzipSync } from 'node:zlib';
import { parse } from 'yaml';
import { CampaignCalendar } from '../../lib/scaling/campaign-calendar';
import { CountApplier, scalingWorkflowFile } from '../../lib/scaling/count-applier';
import { MONITORING_PATHS, PrometheusScaling } from '../../lib/scaling/prometheus-scaling';
import { ScalingRules } from '../../lib/scaling/scaling-rules';
import { ReactiveRule } from '../../lib/scaling/reactive-rule';
import { resourcesOf, synthJson } from '../support/synth';
import { scalableStack } from './scaling-fixtures';

type HostDoc = { write_files: { path: string; content: string; permissions?: string; owner?: string; encoding?: string }[] };

function monitoringOf(applier?: CountApplier) {
  const s = scalableStack();
  const calendar = new CampaignCalendar(s.stack, 'Campaigns');
  const rules = new ScalingRules(s.stack, 'WebScaling', { tier: s.web, calendar, reactive: [ReactiveRule.cpu({ scaleOutAbove: 0.8, scaleInBelow: 0.3 })] });
  const monitoring = new PrometheusScaling(s.stack, 'Monitoring', { vswitch: s.vswitch, rules: [rules], ...(applier ? { applier } : {}) });
  return { ...s, monitoring };
}

function files(json: Record<string, any>) {
  const server = resourcesOf(json, 'openstack_compute_instance_v2').find((x) => x.name === 'monitoring-1')!;
  const doc = parse(server.user_data) as HostDoc;
  const file = (path: string) => {
    const f = doc.write_files.find((x) => x.path === path);
    return f && { ...f, content: f.encoding === 'gz+b64' ? gunzipSync(Buffer.from(f.content, 'base64')).toString('utf8') : f.content };
  };
  return file;
}

describe('CountApplier: who applies the counts the scaling hook decides', () => {
  test('by default the hook dispatches the stack\'s scaling workflow, with a token only root can read', () => {
    const { stack, monitoring } = monitoringOf();
    expect(monitoring.node.validate()).toEqual([]);
    const json = synthJson(stack);
    const file = files(json);
    const hook = JSON.parse(file(MONITORING_PATHS.hookConfig)!.content);
    expect(hook.command).toBeUndefined();
    expect(hook.dispatch).toEqual({
      url: 'https://api.github.com/repos/${var.scaling_github_repository}/actions/workflows/scaling-shop.yml/dispatches',
      ref: 'main',
      tokenEnvironment: 'SCALING_DISPATCH_TOKEN',
    });
    expect(hook.applyTimeoutSeconds).toBe(1800);
    // No working copy on the server: the hook keeps its record of the counts in its state directory.
    expect(hook.workingDirectory).toBe('/var/lib/scaling-hook');
    expect(file(MONITORING_PATHS.countApply)).toBeUndefined();
    const env = file(MONITORING_PATHS.dispatchEnvironment)!;
    expect([env.content, env.permissions, env.owner]).toEqual(['SCALING_DISPATCH_TOKEN=${var.scaling_dispatch_token}\n', '0600', 'root:root']);
    // systemd reads it as root before it starts the hook as its own user; a missing file stops the start.
    const unit = file(MONITORING_PATHS.hookUnit)!.content;
    expect(unit).toContain('EnvironmentFile=/etc/scaling-hook/dispatch.env\n');
    expect(unit).toContain('User=scaling-hook\n');
    expect(json.variable.scaling_dispatch_token).toMatchObject({ type: 'string', sensitive: true, nullable: false });
    expect(json.variable.scaling_github_repository).toMatchObject({ type: 'string', nullable: false });
    expect(json.variable.scaling_github_repository.validation[0].condition).toBe('${can(regex("^[A-Za-z0-9-]{1,39}/[A-Za-z0-9._-]{1,100}$", var.scaling_github_repository))}');
    expect(scalingWorkflowFile('monsieur-deguisement')).toBe('scaling-monsieur-deguisement.yml');
    expect(scalingWorkflowFile('PopGom')).toBe('scaling-pop-gom.yml');
  });

  test('a repository, workflow file, ref and API given are used as they are, with no repository variable', () => {
    const { stack } = monitoringOf(CountApplier.githubWorkflow({ repository: 'acme/shop-infra', workflowFile: 'scale.yml', ref: 'release/2027', apiUrl: 'https://github.acme.example/api/v3/', applyTimeoutMinutes: 45 }));
    const json = synthJson(stack);
    const hook = JSON.parse(files(json)(MONITORING_PATHS.hookConfig)!.content);
    expect(hook.dispatch).toEqual({ url: 'https://github.acme.example/api/v3/repos/acme/shop-infra/actions/workflows/scale.yml/dispatches', ref: 'release/2027', tokenEnvironment: 'SCALING_DISPATCH_TOKEN' });
    expect(hook.applyTimeoutSeconds).toBe(2700);
    expect(json.variable.scaling_github_repository).toBeUndefined();
    expect(json.variable.scaling_dispatch_token).toBeDefined();
  });

  test.each([
    [{ repository: 'acme' }, "'applier.repository' ('acme') must be a GitHub repository 'owner/name'"],
    [{ repository: 'acme/shop infra' }, "'applier.repository' ('acme/shop infra') must be a GitHub repository 'owner/name'"],
    [{ workflowFile: 'scale.sh' }, "'applier.workflowFile' ('scale.sh') must be a workflow file name in .github/workflows, ending in '.yml' or '.yaml'"],
    [{ ref: 'feature/../main' }, "'applier.ref' ('feature/../main') must be a branch or tag name"],
    [{ apiUrl: 'http://api.github.com' }, "'applier.apiUrl' ('http://api.github.com') must be an https URL of a GitHub REST API without a query"],
    [{ applyTimeoutMinutes: 0 }, "'applier.applyTimeoutMinutes' (0) must be an integer from 1 to 1440"],
  ])('rejects %p, naming the monitoring server', (props, message) => {
    expect(() => monitoringOf(CountApplier.githubWorkflow(props))).toThrow(`shop/Monitoring: ${message}`);
  });
});
