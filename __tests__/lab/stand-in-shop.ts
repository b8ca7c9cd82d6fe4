/**
 * The deployment pipeline's step in the lab, for stacks whose front-ends take their code from the
 * stack's deployment server: a stand-in shop tree (OpenMage cannot be downloaded here) is put on the
 * deployment server and pushed with its own `hosting-stacks-deploy`, as the deploy user, with the
 * key the stack installs, and a front-end stripped of its code gets it back from the catch-up run
 * (what a front-end added by scaling goes through). Then every balancer member the deploy reached
 * must pass its health monitor's request (the health page checks PHP, the database and the schema).
 *
 * The stand-in: `app/Mage.php` is the schema installer's stand-in (../magento/fixtures), which runs
 * "setup scripts" against the real MariaDB; `index.php` answers the storefront from the database
 * (the base URL the installer wrote), so a request through an entry crosses every tier.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LabBootedStack, LabCheck } from '../../lib/lab';
import { writtenFiles } from '../../lib/lab/kernel-limits';

const DEPLOY_SCRIPT = '/usr/local/bin/hosting-stacks-deploy';
const TARGETS = '/etc/hosting-stacks/deploy-targets.json';
const BUILD = '/srv/build/shop';

/** The stand-in shop tree, by path relative to the document root. */
export function standInShop(): Record<string, string> {
  return {
    'app/Mage.php': readFileSync(join(__dirname, '../magento/fixtures/stand-in-Mage.php'), 'utf8'),
    'app/etc/modules/Mage_All.xml': '<?xml version="1.0"?>\n<config><modules><Mage_Core><active>true</active></Mage_Core></modules></config>\n',
    'app/code/core/Mage/Core/etc/config.xml': '<?xml version="1.0"?>\n<config><modules><Mage_Core><version>1.6.0.10</version></Mage_Core></modules></config>\n',
    'index.php': [
      '<?php',
      '// hosting-stacks lab: a stand-in storefront that answers from the shop database.',
      "require __DIR__ . '/app/Mage.php';",
      "$url = Mage::db()->query(\"SELECT value FROM core_config_data WHERE path = 'web/unsecure/base_url' AND scope = 'default'\")->fetchColumn();",
      "if ($url === false) { http_response_code(503); echo \"no base URL in the database\\n\"; exit; }",
      "echo 'hosting-stacks stand-in shop at ' . $url . ' served by ' . gethostname() . \"\\n\";",
      '',
    ].join('\n'),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Pushes the stand-in shop from the stack's deployment server and waits until every member it reached is healthy. */
export async function deployStandInShop(stack: LabBootedStack): Promise<LabCheck[]> {
  const deployer = stack.model.servers.find((s) => writtenFiles(s.userData).has(DEPLOY_SCRIPT));
  if (!deployer) return [{ kind: 'pipeline', name: 'deployment server', ok: false, detail: `no server of the stack installs ${DEPLOY_SCRIPT}` }];
  for (const [path, content] of Object.entries(standInShop())) {
    const r = await stack.exec(deployer.name, ['sh', '-c', 'mkdir -p "$(dirname "$1")" && cat > "$1"', 'sh', `${BUILD}/${path}`], { input: content });
    if (r.status !== 0) throw new Error(`could not write ${path} on ${deployer.name}: ${r.stderr}`);
  }
  const deploy = await stack.exec(deployer.name, ['runuser', '-u', 'deploy', '--', DEPLOY_SCRIPT, BUILD], { timeoutMs: 10 * 60_000 });
  const checks: LabCheck[] = [{
    kind: 'pipeline',
    name: `${deployer.name} hosting-stacks-deploy ${BUILD}`,
    ok: deploy.status === 0,
    detail: `exit ${deploy.status}: ${(deploy.stderr || deploy.stdout).trim().split('\n').slice(-6).join(' | ')}`,
  }];
  if (deploy.status !== 0) return checks;

  // A front-end that lost its code (as a new one added by scaling has none) gets the current build
  // from the catch-up run the deployment server's timer makes every minute; the others are current.
  const targetsNow = JSON.parse((await stack.exec(deployer.name, ['cat', TARGETS])).stdout) as { targets: string[]; labels: { host: string } }[];
  const fresh = targetsNow[targetsNow.length - 1].labels.host;
  await stack.exec(fresh, ['rm', '-rf', '/var/www/magento/.hosting-stacks-build', '/var/www/magento/index.php', '/var/www/magento/app/code']);
  const catchUp = await stack.exec(deployer.name, ['runuser', '-u', 'deploy', '--', DEPLOY_SCRIPT, '--catch-up'], { timeoutMs: 10 * 60_000 });
  const expected = `catch-up: 1 server(s) deployed, ${targetsNow.length - 1} already current`;
  checks.push({
    kind: 'pipeline',
    name: `${deployer.name} hosting-stacks-deploy --catch-up (${fresh} without code)`,
    ok: catchUp.status === 0 && catchUp.stdout.includes(expected) && (await stack.exec(fresh, ['test', '-f', '/var/www/magento/index.php'])).status === 0,
    detail: `exit ${catchUp.status}: ${(catchUp.stderr + catchUp.stdout).trim().split('\n').slice(-3).join(' | ')}`,
  });

  // Every balancer member the deploy reached passes its monitor's request, asked on the member itself.
  const targets = targetsNow;
  const members = stack.model.loadBalancers.flatMap((lb) => lb.pools.flatMap((p) => p.members.map((m) => ({ m, monitor: p.monitor }))));
  let settle = 0;
  const asked = new Set<string>();
  for (const t of targets) {
    const address = t.targets[0];
    for (const { m, monitor } of members.filter((x) => x.m.address === address && x.monitor?.urlPath)) {
      const url = `http://${address}:${m.protocolPort}${monitor!.urlPath}`;
      // Every entry's pool has the same members: each check once.
      if (asked.has(`${url} ${monitor!.domainName ?? ''}`)) continue;
      asked.add(`${url} ${monitor!.domainName ?? ''}`);
      const argv = ['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '5', ...(monitor!.domainName ? ['-H', `Host: ${monitor!.domainName}`] : []), url];
      let code = '';
      for (let attempt = 0; attempt < 30 && code !== '200'; attempt++) {
        if (attempt > 0) await sleep(2000);
        code = (await stack.exec(t.labels.host, argv)).stdout.trim();
      }
      checks.push({ kind: 'pipeline', name: `${t.labels.host} ${url}`, ok: code === '200', detail: `HTTP ${code || 'none'}` });
      settle = Math.max(settle, monitor!.delay * (monitor!.maxRetries + 1));
    }
  }
  // The amphorae mark a member up after max_retries good checks, `delay` seconds apart.
  await sleep(settle * 1000);
  return checks;
}
