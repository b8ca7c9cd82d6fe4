/**
 * iPresso's points in the lab, once the stack has booted (case study 4), each on the servers as
 * their user_data set them up:
 * - the customer's command is a stand-in (`/opt/ipresso/bin/task`, a shell script recording each
 *   run) put on the daemons' servers, as a release would;
 * - an intent raised by the application (from the analytics server, across the security groups)
 *   starts within 1 s, where cron waits up to a minute; its progress and result are read back;
 * - a daemon killed mid-task (`systemctl kill -s KILL`) is restarted by systemd and resumes it;
 * - a finished analysis asked again is answered from memcached without running;
 * - one client's day of tasks (13,000, split over the six categories by their share) queued within
 *   one minute passes through: every task done, the oldest waiting task never older than the
 *   backlog alert's 60 s;
 * - 50 clients added (`add-client`), then a release's update files dropped in the steps folder:
 *   the path unit starts the runner, which updates the 50 databases in parallel within the bound per
 *   host; a failing step leaves every database as it was, and the fixed file continues from there.
 *   (How much shorter parallel is than one after another is timed in the behaviour tests, alone:
 *   __tests__/behaviour/client-migrate-parallel.test.ts.)
 */
import type { LabBootedStack, LabCheck } from '../../lib/lab';
import { CLIENT_MIGRATE_CONFIG_PATH, CLIENT_MIGRATE_SCRIPT_PATH, CLIENT_MIGRATE_SERVICE_UNIT } from '../../lib/database/client-migrations';
import { TASK_DAEMONS_CONFIG_PATH, TASK_DAEMONS_HOME, TASK_DAEMONS_SCRIPT_PATH, workerUnitName } from '../../lib/workers/task-config';
import { CLIENT_BASE_STEP, CLIENT_RELEASE_FILES } from '../support/client-databases-fixture';

/** What the lab test gives, read from the construct tree. */
export interface IpressoLabOptions {
  /** The manager's host name and URL base (`http://address:port`). */
  readonly manager: { readonly host: string; readonly url: string };
  /** The host the application's requests come from (on the application vSwitch). */
  readonly appHost: string;
  /** The hosts of the daemons, by category. */
  readonly daemonHosts: Readonly<Record<string, readonly string[]>>;
  /** Each category's share of a client's day of tasks. */
  readonly shares: Readonly<Record<string, number>>;
  /** Tasks a day per client (case study 4: more than 13,000). */
  readonly tasksPerDay: number;
  /** The host of the migration runner, and the database hosts. */
  readonly migrations: { readonly host: string; readonly databaseHosts: readonly string[]; readonly stepsDirectory: string; readonly parallelPerHost: number };
}

/** The stand-in for the customer's command: records each run, reports progress, sleeps or fails as its payload says. */
const STAND_IN_TASK = `#!/bin/sh
# hosting-stacks lab: a stand-in for iPresso's task command (category as its argument).
payload=$(cat)
echo "$HS_TASK_ID $1 $HS_TASK_DEFINITION $HS_TASK_ATTEMPT $HS_TASK_RESUMED" >> ${TASK_DAEMONS_HOME}/stand-in.log
echo "PROGRESS 50"
case "$payload" in *'"sleep": "'*) sleep "$(echo "$payload" | sed 's/.*"sleep": "\\([0-9.]*\\)".*/\\1/')" ;; esac
echo "RESULT $HS_TASK_DEFINITION done on $(hostname) by $1"
`;

/** A client of the manager's API, run on the application's host (python3 is there: it runs daemons). */
const API_CLIENT = `import json, sys, time, urllib.request
base, action = sys.argv[1], sys.argv[2]
def call(method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, {}
if action == "intent":
    t0 = time.time()
    status, body = call("POST", "/intents", json.loads(sys.argv[3]))
    task = body.get("id")
    seen = {}
    while time.time() - t0 < float(sys.argv[4]):
        _, seen = call("GET", "/tasks/" + task)
        if seen.get("state") == sys.argv[5]:
            break
        time.sleep(0.02)
    print(json.dumps({"status": status, "id": task, "task": seen, "seenAfter": time.time() - t0}))
elif action == "get":
    print(json.dumps(call("GET", "/tasks/" + sys.argv[3])[1]))
`;

/** One client's day of tasks, queued at an even pace, while the manager's metrics are sampled. */
const DAY_OF_TASKS = `import importlib.machinery, json, sys, threading, time, urllib.request
tasks_module = importlib.machinery.SourceFileLoader("tasks", "${TASK_DAEMONS_SCRIPT_PATH}").load_module()
config = json.load(open("${TASK_DAEMONS_CONFIG_PATH}"))
shares, total, seconds, metrics_url = json.loads(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
tasks = tasks_module.Tasks(config, open(config["broker"]["passwordFile"]).read().rstrip("\\n"))
r = tasks.redis(timeout=10)
plan = [c for c, share in shares.items() for _ in range(round(total * share))]
plan = [plan[i] for i in sorted(range(len(plan)), key=lambda i: (i * 7919) % len(plan))]
worst, samples, stop = {}, [], threading.Event()
def sample():
    while not stop.is_set():
        text = urllib.request.urlopen(metrics_url, timeout=5).read().decode()
        waiting = running = 0
        for line in text.splitlines():
            if line.startswith("hs_task_oldest_waiting_seconds{"):
                c = line.split('"')[1]; worst[c] = max(worst.get(c, 0.0), float(line.split()[-1]))
            elif line.startswith("hs_tasks_waiting{"):
                waiting += int(float(line.split()[-1]))
            elif line.startswith("hs_tasks_running{"):
                running += int(float(line.split()[-1]))
        samples.append((time.time(), waiting, running))
        stop.wait(1)
sampler = threading.Thread(target=sample); sampler.start()
t0 = time.time()
for i, category in enumerate(plan):
    tasks.enqueue(r, category, "lab-day", {"client": "lab-client", "n": str(i)}, source="intent")
    ahead = t0 + seconds * (i + 1) / len(plan) - time.time()
    if ahead > 0: time.sleep(ahead)
queued = time.time() - t0
while time.time() - t0 < seconds + 240:
    if samples and samples[-1][0] > t0 + queued and samples[-1][1] == 0 and samples[-1][2] == 0:
        break
    time.sleep(1)
stop.set(); sampler.join()
last = samples[-1]
print(json.dumps({"queued": len(plan), "queuedIn": queued, "drainedAfter": last[0] - t0, "left": last[1] + last[2], "worstWait": worst}))
`;

/** Client databases the lab makes and updates: the figure for the migration proof. */
const CLIENTS = 50;

/** The runner's summary line of a run that updated every client database with `steps` steps each. */
const updatedAll = (steps: number) => new RegExp(`updated ${CLIENTS} databases \\(${CLIENTS * steps} steps\\)[^\\n]*`);

const check = (name: string, ok: boolean, detail: string): LabCheck => ({ kind: 'ipresso', name, ok, detail });

/** Runs iPresso's points; returns one check each. Throws only for a lab failure (a server it cannot reach). */
export async function ipressoChecks(stack: LabBootedStack, o: IpressoLabOptions): Promise<LabCheck[]> {
  const checks: LabCheck[] = [];
  const sh = async (host: string, script: string, timeoutMs = 60000, input?: string) => stack.exec(host, ['sh', '-c', script], { timeoutMs, input });
  const api = async (args: string[], timeoutMs = 30000) => {
    const r = await stack.exec(o.appHost, ['python3', '-c', API_CLIENT, o.manager.url, ...args], { timeoutMs });
    if (r.status !== 0) throw new Error(`the API client on ${o.appHost} failed: ${r.stderr}`);
    return JSON.parse(r.stdout) as { status: number; id: string; task: Record<string, string>; seenAfter: number };
  };

  // The customer's release puts its command on every daemon host.
  const hosts = [...new Set(Object.values(o.daemonHosts).flat())];
  for (const host of hosts) {
    const r = await sh(host, 'mkdir -p /opt/ipresso/bin && cat > /opt/ipresso/bin/task && chmod 755 /opt/ipresso/bin/task', 30000, STAND_IN_TASK);
    if (r.status !== 0) throw new Error(`stand-in task on ${host}: ${r.stderr}`);
  }

  // An intent from the application starts within 1 s.
  const intent = await api(['intent', JSON.stringify({ category: 'mailing', definition: 'send-campaign', payload: { campaign: 'lab' } }), '10', 'done']);
  const startMs = (Number(intent.task.started_at) - Number(intent.task.queued_at)) * 1000;
  checks.push(check('an intent raised by the application starts within 1 s (cron: up to 60 s)', intent.status === 202 && intent.task.state === 'done' && startMs < 1000,
    `POST ${intent.status}; queued to started ${startMs.toFixed(0)} ms, done and read back after ${(intent.seenAfter * 1000).toFixed(0)} ms on ${intent.task.host}: ${intent.task.result}`));

  // A daemon killed mid-task resumes it once systemd has started it again.
  const mailingHost = o.daemonHosts.mailing[0];
  const long = await api(['intent', JSON.stringify({ category: 'mailing', definition: 'long-mailing', payload: { sleep: '5' } }), '10', 'running']);
  const progress = long.task.progress;
  await sh(mailingHost, `systemctl kill -s KILL ${workerUnitName('mailing')}`);
  let resumed: Record<string, string> = {};
  for (let i = 0; i < 40 && resumed.state !== 'done'; i++) {
    await new Promise((r) => setTimeout(r, 500));
    resumed = JSON.parse((await stack.exec(o.appHost, ['python3', '-c', API_CLIENT, o.manager.url, 'get', long.id])).stdout || '{}');
  }
  const active = (await sh(mailingHost, `systemctl is-active ${workerUnitName('mailing')}`)).stdout.trim();
  checks.push(check('a daemon killed mid-task is restarted by systemd and resumes the task', resumed.state === 'done' && resumed.resumed === '1' && resumed.attempt === '2' && active === 'active',
    `progress ${progress} % while running; after the kill: ${resumed.state}, attempt ${resumed.attempt}, resumed ${resumed.resumed}; unit ${active}`));

  // A finished analysis asked again comes from memcached.
  const first = await api(['intent', JSON.stringify({ category: 'analytics', definition: 'activity-sequences', payload: { cache_key: 'lab-client-sequences' } }), '10', 'done']);
  const again = await api(['intent', JSON.stringify({ category: 'analytics', definition: 'activity-sequences', payload: { cache_key: 'lab-client-sequences' } }), '10', 'done']);
  const runs = (await sh(o.daemonHosts.analytics[0], `grep -c "analytics activity-sequences" ${TASK_DAEMONS_HOME}/stand-in.log`)).stdout.trim();
  checks.push(check('a finished analysis asked again is answered from memcached, not run', first.task.state === 'done' && again.task.cached === '1' && runs === '1',
    `first: ${first.task.state} on ${first.task.host}; again: cached ${again.task.cached}, "${again.task.result}"; runs of the command: ${runs}`));

  // One client's day of tasks, queued in one minute (1,440 times a day's pace).
  // Measured while no server of any lab boots: package installs elsewhere would take the CPUs the daemons need.
  const day = await stack.quietly(() => stack.exec(o.manager.host, ['python3', '-c', DAY_OF_TASKS, JSON.stringify(o.shares), String(o.tasksPerDay), '60', `${o.manager.url}/metrics`], { timeoutMs: 480000 }));
  let dayResult: { queued: number; queuedIn: number; drainedAfter: number; left: number; worstWait: Record<string, number> } | undefined;
  try {
    dayResult = JSON.parse(day.stdout);
  } catch {
    dayResult = undefined;
  }
  const worst = dayResult ? Math.max(...Object.values(dayResult.worstWait)) : Infinity;
  checks.push(check(`one client's day of ${o.tasksPerDay.toLocaleString('en-US')} tasks, queued in 1 minute, passes without backlog`, dayResult !== undefined && dayResult.left === 0 && worst < 60,
    dayResult ? `${dayResult.queued} queued in ${dayResult.queuedIn.toFixed(0)} s, all done after ${dayResult.drainedAfter.toFixed(0)} s; the oldest waiting task at worst ${worst.toFixed(1)} s (backlog alert: 60 s): ${JSON.stringify(dayResult.worstWait)}` : `no result: ${day.stderr.slice(-400)}`));

  checks.push(...await migrationChecks(stack, o));
  return checks;
}

async function migrationChecks(stack: LabBootedStack, o: IpressoLabOptions): Promise<LabCheck[]> {
  const checks: LabCheck[] = [];
  const m = o.migrations;
  const runner = (args: string) => stack.exec(m.host, ['sh', '-c', `${CLIENT_MIGRATE_SCRIPT_PATH} ${CLIENT_MIGRATE_CONFIG_PATH} ${args}`], { timeoutMs: 300000 });
  const since = async () => (await stack.exec(m.host, ['date', '+%Y-%m-%d %H:%M:%S'])).stdout.trim();
  // A release drops its files: the path unit starts the run; `systemctl start` waits for it to end.
  const release = async (files: Readonly<Record<string, string>>) => {
    const from = await since();
    for (const [name, content] of Object.entries(files)) {
      await stack.exec(m.host, ['sh', '-c', `cat > ${m.stepsDirectory}/.${name} && mv ${m.stepsDirectory}/.${name} ${m.stepsDirectory}/${name}`], { input: content });
    }
    await new Promise((r) => setTimeout(r, 1000));
    await stack.exec(m.host, ['systemctl', 'start', CLIENT_MIGRATE_SERVICE_UNIT], { timeoutMs: 300000 });
    return (await stack.exec(m.host, ['journalctl', '-u', CLIENT_MIGRATE_SERVICE_UNIT, '-o', 'cat', '--since', from, '--no-pager'])).stdout;
  };
  const registry = async () => (await runner('status')).stdout.split('\n').filter(Boolean).map((l) => l.split('\t'));

  const names = Array.from({ length: CLIENTS }, (_, i) => `c${String(i + 1).padStart(2, '0')}`);
  const added: string[] = [];
  for (const name of names) {
    const r = await runner(`add-client ${name}`);
    if (r.status === 0) added.push(name);
  }
  const entries = await registry();
  const spread = m.databaseHosts.map((h) => `${h}: ${entries.filter((e) => e[1] === h).length}`).join(', ');
  checks.push(check(`${CLIENTS} clients added, each database made on the host with the fewest clients`, added.length === CLIENTS, `${added.length} added (${spread})`));

  const base = await release({ '001-base.sql': CLIENT_BASE_STEP });
  const update = await release(CLIENT_RELEASE_FILES);
  const summary = updatedAll(5).exec(update);
  const spans = [...update.matchAll(/^c\d+ \(client_c\d+ on (\S+)\): 5 steps in [\d.]+ s \(([\d.]+) s to ([\d.]+) s of the run\)$/gm)].map((x) => ({ host: x[1], from: Number(x[2]), to: Number(x[3]) }));
  const mostAtOnce = (host: string) => Math.max(0, ...spans.filter((x) => x.host === host).map((x) => spans.filter((y) => y.host === host && y.from <= x.from && x.from < y.to).length));
  const atOnce = m.databaseHosts.map((h) => mostAtOnce(h));
  const allAtRelease = (await registry()).every((e) => e[3] === '2026-06-default-segment');
  checks.push(check(`a release dropped in the steps folder updates the ${CLIENTS} client databases in parallel, within the bound per host`, updatedAll(1).test(base) && summary !== null && allAtRelease && atOnce.every((n) => n > 1 && n <= m.parallelPerHost),
    `base: ${/updated .*/.exec(base)?.[0] ?? base.slice(-300)}; release: ${summary?.[0] ?? update.slice(-300)}; most at once per host ${atOnce.join(', ')} (bound ${m.parallelPerHost})`));

  const columns = async () => (await stack.exec(m.databaseHosts[0], ['mariadb', '--batch', '--skip-column-names', '-e', "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema LIKE 'client\\\\_%' AND column_name = 'consent_at'"])).stdout.trim();
  const broken = await release({ '004-consent.sql': '-- step: 2026-07-consent\nALTER TABLE contacts ADD COLUMN consent_at DATETIME NULL;\nUPDATE no_such_table SET x = 1;\n' });
  const afterFailure = await registry();
  const failedKept = afterFailure.every((e) => e[3] === '2026-06-default-segment');
  const leftColumns = await columns();
  checks.push(check('a step that fails leaves every client database as it was, its recorded step kept', /step 2026-07-consent \(004-consent\.sql\) failed: .*restored from the snapshot/.test(broken) && failedKept && leftColumns === '0',
    `${(broken.match(/restored from the snapshot/g) ?? []).length} databases restored; registry at 2026-06-default-segment: ${failedKept}; consent_at columns left: ${leftColumns}`));

  const fixed = await release({ '004-consent.sql': '-- step: 2026-07-consent\nALTER TABLE contacts ADD COLUMN consent_at DATETIME NULL;\n-- step: 2026-08-consent-index\nCREATE INDEX contacts_consent ON contacts (consent_at);\n' });
  const afterFix = await registry();
  checks.push(check('the fixed file continues from the recorded step: only the two new steps run', updatedAll(2).test(fixed) && afterFix.every((e) => e[3] === '2026-08-consent-index') && (await columns()) === String(CLIENTS),
    updatedAll(2).exec(fixed)?.[0] ?? fixed.slice(-300)));
  return checks;
}
