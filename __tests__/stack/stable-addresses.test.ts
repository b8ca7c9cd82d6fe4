/**
 * Scaling a tier out by one server must not renumber or reconfigure its neighbours (issue 9 item 7):
 * `user_data` forces a server's replacement, so a count change that moved a VIP or rewrote a
 * director's config would rebuild servers and move traffic. For every scalable tier of every stack,
 * the stack is built with the tier at N and at N+1 servers and compared:
 * - every planned address of N (servers, VIPs, directors, entries) is the same at N+1;
 * - every file of every server of N is the same at N+1, or only gained lines, each run of added
 *   lines naming the new server (its address or host name): the lists that name members;
 * - a server whose files are all the same has the same user_data, and every other Terraform
 *   resource of N is the same at N+1 except the ones that list the members.
 */
import { Testing } from 'cdktf';
import { HostingStack, PrivateVSwitch, ServerInstance } from '../../lib';
import { MonsieurDeguisementStack } from '../../stacks/monsieur-deguisement';
import { PopgomStack } from '../../stacks/popgom';

interface ScalableTier {
  readonly name: string;
  /** Builds the stack with the tier at `extra` servers above its base. */
  readonly build: (extra: 0 | 1) => HostingStack;
  /** The tier's servers in a built stack. */
  readonly servers: (stack: HostingStack) => readonly ServerInstance[];
}

const TIERS: readonly ScalableTier[] = [
  { name: 'POPGOM web servers (webCount 2 to 3)', build: (x) => new PopgomStack(Testing.app(), 'popgom', { webCount: 2 + x }), servers: (s) => (s as PopgomStack).web.cluster.instances },
  { name: 'POPGOM application servers (appCount 2 to 3)', build: (x) => new PopgomStack(Testing.app(), 'popgom', { appCount: 2 + x }), servers: (s) => (s as PopgomStack).app.cluster.instances },
  { name: 'POPGOM database servers (databaseCount 2 to 3)', build: (x) => new PopgomStack(Testing.app(), 'popgom', { databaseCount: 2 + x }), servers: (s) => (s as PopgomStack).database.cluster.instances },
  {
    name: 'Monsieur Déguisement front-ends (frontendMaxCount 9 to 10)',
    build: (x) => new MonsieurDeguisementStack(Testing.app(), 'md', { frontendMaxCount: 9 + x }),
    servers: (s) => (s as MonsieurDeguisementStack).frontends.cluster.instances,
  },
];

/** Every planned address of the stack: holder path -> address. */
function plannedAddresses(stack: HostingStack): Map<string, string> {
  const vswitches = stack.node.findAll().filter((c): c is PrivateVSwitch => c instanceof PrivateVSwitch);
  return new Map(vswitches.flatMap((v) => v.allocations.map((a) => [a.holder, a.address] as [string, string])));
}

/** host -> path -> content. */
function hostFiles(stack: HostingStack): Map<string, Map<string, string>> {
  const byHost = new Map<string, Map<string, string>>();
  for (const f of stack.renderHostFiles()) {
    if (!byHost.has(f.host)) byHost.set(f.host, new Map());
    byHost.get(f.host)!.set(f.path, f.content);
  }
  return byHost;
}

/**
 * Why `after` is not `before` with only added lines naming the new member, or undefined when it is:
 * `before`'s lines must be a subsequence of `after`'s, and every run of added lines must contain
 * one of `names`.
 */
function onlyAddedMemberLines(before: string, after: string, names: readonly string[]): string | undefined {
  const a = before.split('\n');
  const b = after.split('\n');
  // Longest common subsequence, so the added runs are the smallest ones.
  const lcs: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  }
  const runs: string[][] = [];
  let run: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      if (run.length) runs.push(run);
      run = [];
      i++;
      j++;
    } else if (i < a.length && j < b.length && lcs[i + 1][j + 1] === lcs[i][j] && inlineInsertion(a[i], b[j], names)) {
      // A one-line list (an allowlist, a regular expression of proxies) that gained the member.
      if (run.length) runs.push(run);
      run = [];
      i++;
      j++;
    } else if (j < b.length && (i === a.length || lcs[i][j + 1] >= lcs[i + 1][j])) {
      run.push(b[j++]);
    } else {
      return `line removed or changed: ${JSON.stringify(a[i])}${j < b.length ? ` (now ${JSON.stringify(b[j])})` : ''}`;
    }
  }
  if (run.length) runs.push(run);
  const foreign = runs.find((r) => !r.some((line) => namesMember(line, names)));
  return foreign ? `added lines that name no new member: ${JSON.stringify(foreign.join('\n'))}` : undefined;
}

/** True when `line` names one of `names` as a whole word (an address also as a regular expression, dots escaped). */
function namesMember(line: string, names: readonly string[]): boolean {
  const text = line.replace(/\\+\./g, '.');
  return names.some((n) => new RegExp(`(^|[^\\w.-])${n.replace(/\./g, '\\.')}($|[^\\w.-])`).test(text));
}

/** True when `after` is `before` with one inserted stretch, and that stretch (with its separator) names a new member. */
function inlineInsertion(before: string, after: string, names: readonly string[]): boolean {
  if (after.length <= before.length) return false;
  let p = 0;
  while (p < before.length && before[p] === after[p]) p++;
  let q = 0;
  while (q < before.length - p && before[before.length - 1 - q] === after[after.length - 1 - q]) q++;
  if (p + q !== before.length) return false;
  const inserted = after.slice(Math.max(0, p - 1), after.length - q + 1);
  return namesMember(` ${inserted.replace(/^[\w.\\]+(?=[^\w.\\])/, '')} `, names) || namesMember(inserted, names);
}

/** type.name -> resource body, and the user_data of each server by host name. */
function terraform(stack: HostingStack): { resources: Map<string, unknown>; userData: Map<string, string> } {
  const doc = JSON.parse(JSON.stringify(stack.toTerraform())) as { resource: Record<string, Record<string, Record<string, unknown>>> };
  const resources = new Map<string, unknown>();
  const userData = new Map<string, string>();
  for (const [type, byName] of Object.entries(doc.resource)) {
    for (const [name, body] of Object.entries(byName)) {
      const { ['//']: _meta, ...rest } = body;
      resources.set(`${type}.${name}`, rest);
      if (type === 'openstack_compute_instance_v2') userData.set(String(body.name), String(body.user_data));
    }
  }
  return { resources, userData };
}

describe.each(TIERS)('$name', (tier) => {
  const before = tier.build(0);
  const after = tier.build(1);
  const added = tier.servers(after).filter((s) => !tier.servers(before).some((b) => b.node.path === s.node.path));
  const names = added.flatMap((s) => [s.address, s.hostname]);

  test('given one more server, then it is the only one added', () => {
    expect(added).toHaveLength(1);
  });

  test('given one more server, then no planned address of the stack moves', () => {
    const a = plannedAddresses(before);
    const b = plannedAddresses(after);
    const moved = [...a].filter(([holder, address]) => b.get(holder) !== address).map(([holder, address]) => `${holder}: ${address} -> ${b.get(holder)}`);
    expect(moved).toEqual([]);
    expect(a.size).toBeGreaterThan(0);
  });

  test('given one more server, then every other server\'s files only gain the lines that name it', () => {
    const a = hostFiles(before);
    const b = hostFiles(after);
    const problems: string[] = [];
    for (const [host, files] of a) {
      const next = b.get(host);
      if (!next) {
        problems.push(`${host}: gone`);
        continue;
      }
      // A new file on a neighbour is allowed only when it is about the new member (its restore runbook).
      for (const path of next.keys()) if (!files.has(path) && !names.some((n) => path.split(/[/.]/).includes(n) || path.includes(`/${n}.`))) problems.push(`${host}:${path}: new file`);
      for (const [path, content] of files) {
        const now = next.get(path);
        if (now === undefined) problems.push(`${host}:${path}: gone`);
        else if (now !== content) {
          const why = onlyAddedMemberLines(content, now, names);
          if (why) problems.push(`${host}:${path}: ${why}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  test('given one more server, then a server whose files are unchanged keeps its user_data, and only member lists change elsewhere', () => {
    const a = hostFiles(before);
    const b = hostFiles(after);
    const ta = terraform(before);
    const tb = terraform(after);
    const unchangedHosts = [...a.keys()].filter((h) => [...a.get(h)!].every(([p, c]) => b.get(h)?.get(p) === c) && b.get(h)?.size === a.get(h)!.size);
    expect(unchangedHosts.length).toBeGreaterThan(0);
    expect(unchangedHosts.filter((h) => ta.userData.get(h) !== tb.userData.get(h))).toEqual([]);
    const changed = [...ta.resources]
      .filter(([key]) => !key.startsWith('openstack_compute_instance_v2.'))
      .filter(([key, body]) => JSON.stringify(tb.resources.get(key)) !== JSON.stringify(body))
      .map(([key, body]) => ({ key, why: onlyAddedMemberLines(JSON.stringify(body, null, 1), JSON.stringify(tb.resources.get(key) ?? null, null, 1), names) }))
      .filter((c) => c.why !== undefined);
    expect(changed).toEqual([]);
  });
});
