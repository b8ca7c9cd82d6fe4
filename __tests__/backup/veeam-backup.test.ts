import { Testing } from 'cdktf';
import { parse } from 'yaml';
import { BackupSchedule } from '../../lib/backup/backup-schedule';
import { BackupPolicyOptions, DEFAULT_RTO_MINUTES, VeeamBackup, VeeamBackupProps } from '../../lib/backup/veeam-backup';
import { Flavor } from '../../lib/compute/flavor';
import { ServerCluster } from '../../lib/compute/server-cluster';
import { Peer, TrafficSource } from '../../lib/core/connections';
import { PrivateVSwitch } from '../../lib/network/private-vswitch';
import { HostingStack } from '../../lib/stack/hosting-stack';
import { checkProviderSchema, loadOpenstackProviderSchema } from '../../lib/validation/provider-schema-check';
import { checkTerraformTemplates } from '../../lib/validation/terraform-template-check';
import { Secret } from '../../lib/core/secret';
import { METADATA_GUARD_RULESET_PATH, METADATA_GUARD_UNIT } from '../../lib/compute/metadata-guard';
import { backupAccessRules } from '../../lib/backup/backup-access-rules';
import { checkHostFile } from '../support/config-checks';
import { resourcesOf } from '../support/synth';

// "Veeam Backup: copies of the most important VMs, a VM restored in minutes" (case study 5)
const DAILY = BackupSchedule.daily('02:30', 'Europe/Madrid');

function setup(props: Partial<VeeamBackupProps> = {}) {
  const stack = new HostingStack(Testing.app(), 'test');
  const vswitch = new PrivateVSwitch(stack, 'Net', { cidr: '10.0.1.0/24' });
  const db = new ServerCluster(stack, 'Db', { vswitch, count: 2, flavor: Flavor.named('b3-8'), bootVolumeGb: 50, stateful: true });
  const web = new ServerCluster(stack, 'Web', { vswitch, count: 1, flavor: Flavor.named('b3-8'), bootVolumeGb: 20 });
  const backup = new VeeamBackup(stack, 'Backup', { vswitch, region: 'GRA11', ...props });
  return { stack, vswitch, db, web, backup };
}

function policy(backup: VeeamBackup, servers: BackupPolicyOptions['servers'], extra: Partial<BackupPolicyOptions> = {}) {
  return backup.addPolicy('vital', { servers, schedule: DAILY, rotation: 7, ...extra });
}

function runnerFile(stack: HostingStack, path: string): string {
  const f = stack.renderHostFiles().find((x) => x.host === 'backup-runner-1' && x.path === path);
  if (!f) throw new Error(`no ${path} on the runner`);
  return f.content;
}

describe('VeeamBackup', () => {
  test('given a policy, then the runner has the credentials, the script, the service, the timer and the policy\'s runbooks in one file', () => {
    const { stack, backup, db } = setup();
    policy(backup, [db]);
    const paths = stack.renderHostFiles().filter((f) => f.host === 'backup-runner-1').map((f) => f.path);
    expect(paths).toEqual([
      METADATA_GUARD_RULESET_PATH,
      '/etc/hosting-stacks/restore/vital.md',
      '/etc/openstack/clouds.yaml',
      '/etc/systemd/system/hosting-stacks-backup-vital.service',
      '/etc/systemd/system/hosting-stacks-backup-vital.timer',
      `/etc/systemd/system/${METADATA_GUARD_UNIT}`,
      '/usr/local/sbin/hosting-stacks-backup-vital',
    ]);
    expect(backup.runnerHost.cloudConfig.packages).toContain('python3-openstackclient');
    expect(backup.runnerHost.cloudConfig.services).toEqual([METADATA_GUARD_UNIT, 'hosting-stacks-backup-vital.timer']);
  });

  test('the runner is one instance of the cheapest production flavor for 1 vCPU and 2 GB', () => {
    const { backup } = setup();
    expect(backup.runner.instances).toHaveLength(1);
    expect(backup.runner.flavor.name).toBe('c3-4');
    expect(backup.runner.stateful).toBe(false);
  });

  test('clouds.yaml is root-only and holds the created credential as references to its attributes, never a value', () => {
    const { stack, backup, db } = setup({ authUrl: 'https://keystone.example.net:5000/v3' });
    policy(backup, [db]);
    const file = backup.runnerHost.cloudConfig.hostFiles.find((f) => f.path === '/etc/openstack/clouds.yaml')!;
    expect(file.permissions).toBe('0600');
    const doc = parse(runnerFile(stack, '/etc/openstack/clouds.yaml'));
    const address = `openstack_identity_application_credential_v3.${backup.credential!.friendlyUniqueId}`;
    expect(doc.clouds['hosting-stacks-backup'].auth).toEqual({
      auth_url: 'https://keystone.example.net:5000/v3',
      application_credential_id: `\${jsonencode(${address}.id)}`,
      application_credential_secret: `\${jsonencode(${address}.secret)}`,
    });
    expect(doc.clouds['hosting-stacks-backup'].region_name).toBe('GRA11');
    const json = JSON.parse(Testing.synth(stack));
    expect(json.variable?.backup_os_application_credential_id).toBeUndefined();
    expect(json.variable?.backup_os_application_credential_secret).toBeUndefined();
    // `secret` is sensitive in the provider schema, so Terraform hides the user_data holding it.
    const schema = loadOpenstackProviderSchema() as any;
    expect(schema.provider_schemas['registry.terraform.io/terraform-provider-openstack/openstack'].resource_schemas.openstack_identity_application_credential_v3.block.attributes.secret.sensitive).toBe(true);
  });

  test('given no credential in the props, then the stack creates one, not unrestricted, with the access rules of the policies', () => {
    const { stack, backup, db } = setup({ offsiteRegion: 'SBG' });
    policy(backup, [db], { volumeBackups: true, offsiteCopy: true });
    const [credential] = resourcesOf(JSON.parse(Testing.synth(stack)), 'openstack_identity_application_credential_v3');
    expect(credential).toMatchObject({ name: 'test-backup-runner', unrestricted: false });
    expect(credential.roles).toBeUndefined();
    expect(credential.access_rules).toEqual(backupAccessRules({ volumeBackups: true, offsiteContainer: 'test-backup-offsite' }));
    expect(credential.access_rules).toEqual(backup.accessRules);
  });

  test('given policies without volume backups or off-site copies, then the credential may only snapshot', () => {
    const { stack, backup, db } = setup();
    policy(backup, [db]);
    const [credential] = resourcesOf(JSON.parse(Testing.synth(stack)), 'openstack_identity_application_credential_v3');
    expect(credential.access_rules).toEqual([
      { service: 'volumev3', method: 'GET', path: '/v3/*/volumes' },
      { service: 'volumev3', method: 'GET', path: '/v3/*/volumes/*' },
      { service: 'volumev3', method: 'POST', path: '/v3/*/snapshots' },
      { service: 'volumev3', method: 'GET', path: '/v3/*/snapshots/*' },
      { service: 'volumev3', method: 'DELETE', path: '/v3/*/snapshots/*' },
    ]);
  });

  test('given a user-given credential, then no credential is created and clouds.yaml holds its sensitive variables', () => {
    const stack = new HostingStack(Testing.app(), 'test');
    const vswitch = new PrivateVSwitch(stack, 'Net', { cidr: '10.0.1.0/24' });
    const db = new ServerCluster(stack, 'Db', { vswitch, count: 1, flavor: Flavor.named('b3-8'), bootVolumeGb: 50, stateful: true });
    const backup = new VeeamBackup(stack, 'Backup', {
      vswitch,
      region: 'GRA11',
      applicationCredentialId: Secret.variable(stack, 'backup_os_application_credential_id', 'Id of an application credential restricted to the backup runner'),
      applicationCredentialSecret: Secret.variable(stack, 'backup_os_application_credential_secret', 'Secret of that application credential'),
    });
    policy(backup, [db]);
    expect(backup.credential).toBeUndefined();
    const json = JSON.parse(Testing.synth(stack));
    expect(resourcesOf(json, 'openstack_identity_application_credential_v3')).toEqual([]);
    expect(json.variable.backup_os_application_credential_secret).toMatchObject({ sensitive: true, type: 'string' });
    expect(parse(runnerFile(stack, '/etc/openstack/clouds.yaml')).clouds['hosting-stacks-backup'].auth).toMatchObject({
      application_credential_id: '${jsonencode(var.backup_os_application_credential_id)}',
      application_credential_secret: '${jsonencode(var.backup_os_application_credential_secret)}',
    });
  });

  test('given only the id of a user-given credential, then an error names the missing secret', () => {
    const stack = new HostingStack(Testing.app(), 'test');
    const vswitch = new PrivateVSwitch(stack, 'Net', { cidr: '10.0.1.0/24' });
    expect(() => new VeeamBackup(stack, 'Backup', { vswitch, region: 'GRA11', applicationCredentialId: Secret.variable(stack, 'backup_id', 'id') }))
      .toThrow(/test\/Backup: 'applicationCredentialSecret' \(undefined\) must be given with 'applicationCredentialId'/);
  });

  test('the timer runs at the schedule; the script names every server and its boot volume', () => {
    const { stack, backup, db } = setup();
    const p = policy(backup, [db]);
    expect(runnerFile(stack, '/etc/systemd/system/hosting-stacks-backup-vital.timer')).toMatch(/^OnCalendar=\*-\*-\* 02:30:00 Europe\/Madrid$/m);
    const script = runnerFile(stack, p.scriptPath);
    expect(script).toContain("( backup_server 'db-1' 'test-db-instance1-boot' 50 12000 ) &");
    expect(script).toContain("( backup_server 'db-2' 'test-db-instance2-boot' 50 12000 ) &");
    expect(script).toMatch(/^KEEP=7$/m);
  });

  test('given tiers or databases exposing a cluster, then their clusters are covered', () => {
    const { backup, db, web } = setup();
    const p = policy(backup, [{ cluster: db }, web]);
    expect(p.clusters).toEqual([db, web]);
    expect(p.hosts.map((h) => h.hostname)).toEqual(['db-1', 'db-2', 'web-1']);
    expect(db.backupPolicies).toEqual(['test/Backup/vital']);
    expect(web.backupPolicies).toEqual(['test/Backup/vital']);
  });

  test.each([['GRA11', 'SBG'], ['SBG7', 'GRA'], ['GRA9', 'SBG'], ['DE1', 'GRA']])('given servers in %s and no offsiteRegion, then the off-site copy goes to object storage region %s', (region, offsite) => {
    expect(setup({ region }).backup.offsiteRegion).toBe(offsite);
  });

  test('without off-site copies there is no container; with them, one in the off-site region that destroy does not empty', () => {
    const a = setup();
    policy(a.backup, [a.db]);
    expect(a.backup.container).toBeUndefined();
    expect(resourcesOf(JSON.parse(Testing.synth(a.stack)), 'openstack_objectstorage_container_v1')).toEqual([]);
    const b = setup({ offsiteRegion: 'SBG' });
    policy(b.backup, [b.db], { offsiteCopy: true });
    // Not versioned: the copies expire by X-Delete-After, which versions would outlive (and bill).
    expect(resourcesOf(JSON.parse(Testing.synth(b.stack)), 'openstack_objectstorage_container_v1')).toEqual([
      { name: 'test-backup-offsite', region: 'SBG', versioning: false, force_destroy: false, metadata: { 'hosting-stacks-path': 'test/Backup' } },
    ]);
    expect(runnerFile(b.stack, '/usr/local/sbin/hosting-stacks-backup-vital')).toContain("export OFFSITE_REGION='SBG'");
  });

  test('given off-site copies, then they expire after the rotation and the credential can only add objects to the container', () => {
    const { stack, backup, db } = setup({ offsiteRegion: 'SBG' });
    const p = policy(backup, [db], { offsiteCopy: true });
    // 7 daily copies, plus the one day a run of the two 50 GB volumes (2 x 106 min) spans.
    expect(p.offsiteRetentionSeconds).toBe((7 + 1) * 24 * 3600);
    expect(runnerFile(stack, '/usr/local/sbin/hosting-stacks-backup-vital')).toContain(`export OFFSITE_DELETE_AFTER=${(7 + 1) * 24 * 3600}`);
    expect(runnerFile(stack, '/usr/local/sbin/hosting-stacks-object-put')).toContain("headers={'X-Delete-After': seconds}");
    expect(backup.accessRules.filter((r) => r.service === 'object-store')).toEqual([
      { service: 'object-store', method: 'PUT', path: '/v1/*/test-backup-offsite/**' },
    ]);
  });

  test('the runner takes no inbound traffic unless an admin peer is given, then SSH from it only', () => {
    expect(setup().backup.runner.connections.ingressRules).toEqual([]);
    const { backup } = setup({ adminPeer: Peer.ipv4('198.51.100.0/24') });
    expect(backup.runner.connections.ingressRules.map((r) => [r.port.label, r.source])).toEqual([['tcp-22', TrafficSource.cidr('198.51.100.0/24')]]);
  });

  test('given a jump host as admin peer (Peer.of), then SSH to the runner comes from its security group only', () => {
    const { stack, vswitch } = setup();
    const jump = new ServerCluster(stack, 'Jump', { vswitch, count: 1, flavor: Flavor.named('b2-7') });
    const backup = new VeeamBackup(stack, 'Backup2', { vswitch, region: 'GRA11', adminPeer: Peer.of(jump) });
    expect(backup.runner.connections.ingressRules.map((r) => [r.port.label, r.source])).toEqual([['tcp-22', TrafficSource.group(jump.connections)]]);
  });

  test('estimates: restore from a snapshot of the largest volume, run time, and the RPO they allow', () => {
    const { backup, db } = setup();
    const p = policy(backup, [db], { volumeBackups: true });
    expect(p.rtoMinutes).toBe(DEFAULT_RTO_MINUTES);
    expect(p.estimatedRestoreMinutes).toBe(10);
    expect(p.estimatedRunMinutes).toBe(102);
    expect(p.achievableRpoHours).toBe(26);
  });

  test('restoreProcedure gives the runbook written on the runner, each host\'s after the other in the policy\'s file', () => {
    const { stack, backup, db } = setup();
    const p = policy(backup, [db]);
    expect(p.runbookPath).toBe('/etc/hosting-stacks/restore/vital.md');
    expect(runnerFile(stack, p.runbookPath)).toBe(`${p.restoreProcedure('db-1')}\n---\n\n${p.restoreProcedure('db-2')}`);
    expect(p.restoreProcedure('db-2')).toContain('10.0.1.3 on port `test-db-instance2`');
  });

  test('a server not marked stateful may be covered; its runbook says so', () => {
    const { backup, web } = setup();
    expect(policy(backup, [web]).restoreProcedure('web-1')).toContain('(not marked stateful)');
  });

  test('a stack with the backup conforms to the provider schema, has only valid Terraform templates and passes validation', () => {
    const { stack, backup, db, web } = setup({ offsiteRegion: 'SBG', adminPeer: Peer.ipv4('198.51.100.0/24') });
    policy(backup, [db], { volumeBackups: true, offsiteCopy: true, rpoHours: 36 });
    backup.addPolicy('hourly', { servers: [web], schedule: BackupSchedule.everyHours(4), rotation: 6 });
    const json = JSON.parse(Testing.synth(stack));
    expect(checkProviderSchema(json, loadOpenstackProviderSchema())).toEqual([]);
    expect(checkTerraformTemplates(json)).toEqual([]);
    expect(stack.node.findAll().flatMap((c) => c.node.validate())).toEqual([]);
  });

  test.each(['hosting-stacks-backup-vital.service', 'hosting-stacks-backup-vital.timer', 'hosting-stacks-backup-vital', 'clouds.yaml', 'hosting-stacks-backup-hourly.timer', 'hosting-stacks-object-put'])(
    'the rendered %s passes its real check',
    (name) => {
      const { stack, backup, db, web } = setup({ offsiteRegion: 'SBG' });
      policy(backup, [db], { volumeBackups: true, offsiteCopy: true });
      backup.addPolicy('hourly', { servers: [web], schedule: BackupSchedule.everyHours(4), rotation: 6 });
      const file = stack.renderHostFiles().find((f) => f.host === 'backup-runner-1' && f.path.endsWith(`/${name}`))!;
      expect(file.syntax).toBeDefined();
      const r = checkHostFile(file)!;
      expect(r.output).toBe(r.ok ? r.output : '(check passes)');
      expect(r.ok).toBe(true);
    },
  );
});

describe('VeeamBackup errors', () => {
  test('a backup with no policy fails validation', () => {
    const { backup } = setup();
    expect(backup.node.validate()).toEqual(["test/Backup: 'policies' ([]) must hold at least one policy; add one with addPolicy(id, options)"]);
  });

  test.each([
    [{ region: 'GRA 11' }, /test\/Backup: 'region' \('GRA 11'\) must be an OpenStack region name/],
    [{ offsiteRegion: '' }, /test\/Backup: 'offsiteRegion' \(''\) must be an OpenStack region name/],
    [{ offsiteRegion: 'GRA11' }, /test\/Backup: 'offsiteRegion' \('GRA11'\) must be an object storage region such as 'GRA'/],
    [{ region: 'XYZ1' }, /test\/Backup: 'offsiteRegion' \(undefined\) must be given: no default off-site object storage region is known for region 'XYZ1'/],
    [{ authUrl: 'http://auth.cloud.ovh.net/v3' }, /'authUrl' \('http:\/\/auth.cloud.ovh.net\/v3'\) must be an https URL of Keystone/],
    [{ containerName: 'bad/name' }, /'containerName' \('bad\/name'\) must be 1 to 63 letters/],
  ])('bad props %# are refused', (props, message) => {
    expect(() => setup(props as Partial<VeeamBackupProps>)).toThrow(message);
  });

  test('an admin peer given as the construct itself, not as Peer.of(construct), is refused', () => {
    const { stack, vswitch } = setup();
    const jump = new ServerCluster(stack, 'Jump', { vswitch, count: 1, flavor: Flavor.named('b2-7') });
    expect(() => new VeeamBackup(stack, 'Backup2', { vswitch, region: 'GRA11', adminPeer: jump as unknown as Peer }))
      .toThrow(/^test\/Backup2: 'adminPeer' \('<ServerCluster test\/Jump>'\) must be a Peer \(Peer\.ipv4\('198\.51\.100\.0\/24'\) or Peer\.of\(construct with connections\)\)$/);
  });

  test("an admin peer of another stack's construct is refused", () => {
    const { stack, vswitch } = setup();
    const other = new HostingStack(stack.node.scope!, 'other');
    const jump = new ServerCluster(other, 'Jump', { vswitch: new PrivateVSwitch(other, 'Net', { cidr: '10.0.9.0/24' }), count: 1, flavor: Flavor.named('b2-7') });
    expect(() => new VeeamBackup(stack, 'Backup2', { vswitch, region: 'GRA11', adminPeer: Peer.of(jump) }))
      .toThrow(/^test\/Backup2: 'adminPeer' \('Peer\.of\(<ServerCluster other\/Jump>\)'\) is in stack 'other'; it must be in the same stack 'test'/);
  });

  test('an empty policy is refused', () => {
    const { backup } = setup();
    expect(() => policy(backup, [])).toThrow(/test\/Backup\/vital: 'servers' \(\[\]\) must name at least one cluster to back up/);
  });

  test('a cluster named twice is refused', () => {
    const { backup, db } = setup();
    expect(() => policy(backup, [db, { cluster: db }])).toThrow(/'servers' \('test\/Db'\) appears more than once/);
  });

  test('the runner cannot back itself up', () => {
    const { backup } = setup();
    expect(() => policy(backup, [backup.runner])).toThrow(/'servers' \('test\/Backup\/Runner'\) is the backup runner itself/);
  });

  test.each([0, 61, 2.5])('rotation %p is refused', (rotation) => {
    const { backup, db } = setup();
    expect(() => policy(backup, [db], { rotation })).toThrow(/'rotation' \(.*\) must be an integer from 1 to 60/);
  });

  test('an unknown time zone is refused, naming the policy', () => {
    const { backup, db } = setup();
    expect(() => policy(backup, [db], { schedule: BackupSchedule.daily('02:30', 'Europe/Atlantis') })).toThrow(/test\/Backup\/vital: 'schedule.timeZone' \('Europe\/Atlantis'\)/);
  });

  test('a target restore time below the estimate from a snapshot is refused, naming the largest server', () => {
    const { backup, db } = setup();
    expect(() => policy(backup, [db], { rtoMinutes: 9 })).toThrow(
      /'rtoMinutes' \(9\) is below the estimated restore time of db-1 \(50 GB boot volume\): 10 min from a snapshot/,
    );
    const ok = setup();
    expect(policy(ok.backup, [ok.db], { rtoMinutes: 10 }).rtoMinutes).toBe(10);
  });

  test('an RPO below the interval plus the run time is refused', () => {
    const { backup, db } = setup();
    expect(() => policy(backup, [db], { rpoHours: 24 })).toThrow(/'rpoHours' \(24\) is below what the policy achieves: 25 h \(runs daily at 02:30 Europe\/Madrid, each estimated at 2 min\)/);
    const other = setup();
    expect(() => policy(other.backup, [other.db], { rpoHours: -1 })).toThrow(/'rpoHours' \(-1\) must be a number of hours greater than 0/);
  });

  test('a duplicate policy id and a bad id are refused', () => {
    const { backup, db } = setup();
    policy(backup, [db]);
    expect(() => policy(backup, [db])).toThrow(/test\/Backup: 'id' \('vital'\) is already the id of a policy of this backup/);
    expect(() => backup.addPolicy('Vital', { servers: [db], schedule: DAILY, rotation: 1 })).toThrow(/'id' \('Vital'\) must be 1 to 32 lower-case letters/);
  });

  test('two policies making volume backups of one cluster are refused', () => {
    const { backup, db } = setup();
    policy(backup, [db], { volumeBackups: true });
    expect(() => backup.addPolicy('weekly', { servers: [db], schedule: DAILY, rotation: 4, volumeBackups: true })).toThrow(
      /test\/Backup\/weekly: 'volumeBackups' \(true\) also covers test\/Db, whose volume backups test\/Backup\/vital makes/,
    );
    expect(backup.addPolicy('hourly', { servers: [db], schedule: BackupSchedule.everyHours(4), rotation: 6 }).clusters).toEqual([db]);
  });

  test('restoreProcedure of a host the policy does not cover is refused', () => {
    const { backup, db } = setup();
    expect(() => policy(backup, [db]).restoreProcedure('web-1')).toThrow(/test\/Backup\/vital: 'hostname' \('web-1'\) is not covered by this policy; it covers db-1, db-2/);
  });
});
