import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { BackupAccessRule, backupAccessRules } from '../../lib/backup/backup-access-rules';
import { BACKUP_CLOUD_NAME, BACKUP_POLL_SECONDS, renderBackupObjectPut, renderBackupScript } from '../../lib/backup/backup-config';
import { checkPython, run, scratch } from '../support/daemons';
import { OpenstackStub, StubCall } from './openstack-stub';

const CONTAINER = 'shop-backup-offsite';
const SCRIPT = {
  policyId: 'vital',
  scheduleDescription: 'daily at 02:30 Europe/Madrid',
  cloud: BACKUP_CLOUD_NAME,
  rotation: 3,
  pollSeconds: BACKUP_POLL_SECONDS,
  volumeBackups: true,
  offsite: { container: CONTAINER, region: 'SBG', partMb: 1, deleteAfterSeconds: 270000 },
  servers: [{ hostname: 'db-1', bootVolume: 'shop-db-instance1-boot', bootVolumeGb: 50, waitSeconds: 600 }],
};

const v = (method: BackupAccessRule['method'], path: string): BackupAccessRule => ({ service: 'volumev3', method, path: `/v3/*/${path}` });
const image = (method: BackupAccessRule['method'], path: string): BackupAccessRule => ({ service: 'image', method, path: `/v2/${path}` });

/**
 * What each command of the script sends, as openstackclient 6 does it (`openstack --debug`): a
 * volume named by `--volume` is looked up by id, then listed by name; status polls are GETs.
 */
const REQUESTS: Record<string, BackupAccessRule[]> = {
  'volume snapshot create': [v('GET', 'volumes/*'), v('GET', 'volumes'), v('POST', 'snapshots')],
  'volume snapshot show': [v('GET', 'snapshots/*')],
  'volume snapshot list': [v('GET', 'volumes/*'), v('GET', 'volumes'), v('GET', 'snapshots/*')],
  'volume snapshot delete': [v('GET', 'snapshots/*'), v('DELETE', 'snapshots/*')],
  'volume backup create': [v('GET', 'volumes/*'), v('GET', 'snapshots/*'), v('POST', 'backups')],
  'volume backup show': [v('GET', 'backups/*')],
  'volume backup list': [v('GET', 'volumes/*'), v('GET', 'volumes'), v('GET', 'backups/*')],
  'volume backup delete': [v('GET', 'backups/*'), v('DELETE', 'backups/*')],
  'volume create': [v('GET', 'snapshots/*'), v('POST', 'volumes')],
  'volume show': [v('GET', 'volumes/*')],
  'volume delete': [v('GET', 'volumes/*'), v('DELETE', 'volumes/*')],
  'image create': [v('GET', 'volumes/*'), v('POST', 'volumes/*/action')],
  'image show': [image('GET', 'images/*')],
  'image save': [image('GET', 'images/*'), image('GET', 'images/*/file')],
  'image delete': [image('GET', 'images/*'), image('DELETE', 'images/*')],
  'hosting-stacks-object-put': [{ service: 'object-store', method: 'PUT', path: `/v1/*/${CONTAINER}/**` }],
};

function kindOf(call: StubCall): string {
  if (call[0] === 'hosting-stacks-object-put') return call[0];
  const words = call[0] === '--os-region-name' ? call.slice(2) : call;
  return words.slice(0, ['snapshot', 'backup'].includes(words[1]) ? 3 : 2).join(' ');
}

const key = (r: BackupAccessRule) => `${r.service} ${r.method} ${r.path}`;

/** Keystone's path match: `*` one segment, `**` any number of them. */
function pathMatches(pattern: string, path: string): boolean {
  const re = pattern.split('/').map((seg) => (seg === '**' ? '.+' : seg === '*' ? '[^/]+' : seg.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))).join('/');
  return new RegExp(`^${re}$`).test(path);
}

describe('backupAccessRules', () => {
  test('given a run with volume backups and an off-site copy, then the rules are exactly the requests its commands send', () => {
    const stub = new OpenstackStub();
    try {
      stub.write('image.bin', randomBytes(1024));
      // More snapshots than the rotation, and a chain before the previous one: the run deletes some of each.
      stub.write('snapshots-shop-db-instance1-boot', 'old vital-db-1-20261101T023000Z\nn1 vital-db-1-20261102T023000Z\nn2 vital-db-1-20261103T023000Z\nn3 vital-db-1-20261104T023000Z\n');
      stub.write('backups-shop-db-instance1-boot', 'a1 vital-db-1-20261101T023000Z-full\nb1 vital-db-1-20261102T023000Z-full\nb2 vital-db-1-20261103T023000Z-incr\nb3 vital-db-1-20261104T023000Z-incr\n');
      // With the output, so a failure says which command failed (it failed once, under load, unexplained).
      const run = stub.runScript(renderBackupScript(SCRIPT));
      expect({ status: run.status, output: run.status === 0 ? '' : run.output }).toEqual({ status: 0, output: '' });
      const kinds = [...new Set(stub.calls.map(kindOf))].sort();
      expect(kinds.filter((k) => !(k in REQUESTS))).toEqual([]);
      const needed = [...new Set(kinds.flatMap((k) => REQUESTS[k]).map(key))].sort();
      expect(backupAccessRules({ volumeBackups: true, offsiteContainer: CONTAINER }).map(key).sort()).toEqual(needed);
    } finally {
      stub.cleanup();
    }
  });

  test('given only snapshots, then no backup, image or object rule', () => {
    const rules = backupAccessRules({ volumeBackups: false });
    expect(rules.every((r) => r.service === 'volumev3' && !r.path.includes('backups'))).toBe(true);
    expect(rules.filter((r) => r.method !== 'GET').map(key)).toEqual(['volumev3 POST /v3/*/snapshots', 'volumev3 DELETE /v3/*/snapshots/*']);
  });

  test('given off-site copies, then the only object-store rule is PUT into the container: no read, metadata change or delete', () => {
    const rules = backupAccessRules({ volumeBackups: true, offsiteContainer: CONTAINER }).filter((r) => r.service === 'object-store');
    expect(rules).toEqual([{ service: 'object-store', method: 'PUT', path: `/v1/*/${CONTAINER}/**` }]);
    expect(pathMatches(rules[0].path, `/v1/AUTH_0123/${CONTAINER}/db-1/vital/20261121T023000Z/image.qcow2.part-0000`)).toBe(true);
    expect(pathMatches(rules[0].path, `/v1/AUTH_0123/other-container/db-1/x`)).toBe(false);
    expect(pathMatches(rules[0].path, `/v1/AUTH_0123/${CONTAINER}`)).toBe(false);
  });
});

describe('renderBackupObjectPut', () => {
  test('python3 compiles it', () => {
    const r = checkPython(renderBackupObjectPut({ cloud: BACKUP_CLOUD_NAME }));
    expect(r.output).toBe('');
    expect(r.ok).toBe(true);
  });

  /** A fake Swift on loopback that logs each request and answers `status`, and the real openstacksdk on the runner's clouds.yaml entry (no auth). */
  function putThroughFakeSwift(status: number): { status: number | null; output: string; requests: { method: string; path: string; deleteAfter: string; body: string }[] } {
    const s = scratch('object-put');
    const port = 20000 + (process.pid % 20000);
    s.write('swift.py', [
      'import http.server, json, sys',
      'class H(http.server.BaseHTTPRequestHandler):',
      '    def do_PUT(self):',
      '        body = b""',
      '        if self.headers.get("Transfer-Encoding") == "chunked":',
      '            while True:',
      '                n = int(self.rfile.readline().strip(), 16)',
      '                if n == 0:',
      '                    self.rfile.readline()',
      '                    break',
      '                body += self.rfile.read(n)',
      '                self.rfile.readline()',
      '        else:',
      '            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))',
      '        with open(sys.argv[2], "a") as f:',
      '            f.write(json.dumps({"method": "PUT", "path": self.path, "deleteAfter": self.headers.get("X-Delete-After"), "body": body.decode()}) + "\\n")',
      `        self.send_response(${status})`,
      '        self.send_header("Content-Length", "0")',
      '        self.end_headers()',
      '    def log_message(self, *args):',
      '        pass',
      'http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()',
    ].join('\n') + '\n');
    s.write('clouds.yaml', `clouds:\n  ${BACKUP_CLOUD_NAME}:\n    auth_type: none\n    object_store_endpoint_override: http://127.0.0.1:${port}/v1/AUTH_0123\n`);
    s.write('part', 'part of a qcow2 image\n');
    const put = s.write('put.py', renderBackupObjectPut({ cloud: BACKUP_CLOUD_NAME }));
    const server = spawn('timeout', ['30', 'python3', `${s.dir}/swift.py`, String(port), `${s.dir}/requests.jsonl`], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 50 && !run(['python3', '-c', `import socket; socket.create_connection(("127.0.0.1", ${port}), 1)`]).ok; i++) run(['sleep', '0.1']);
      // The runner runs it with Debian's python3 and its python3-openstacksdk (the shebang).
      const r = run(['timeout', '20', '/usr/bin/python3', put, 'SBG', CONTAINER, 'db-1/vital/20261121T023000Z/image.qcow2.part-0000', `${s.dir}/part`, '270000'], {
        timeoutMs: 25000,
        env: { PATH: process.env.PATH, HOME: s.dir, OS_CLIENT_CONFIG_FILE: `${s.dir}/clouds.yaml`, OS_CLOUD: BACKUP_CLOUD_NAME },
      });
      let requests = [];
      try {
        requests = readFileSync(`${s.dir}/requests.jsonl`, 'utf8').split('\n').filter((l) => l).map((l) => JSON.parse(l));
      } catch {
        requests = [];
      }
      return { status: r.status, output: r.output, requests };
    } finally {
      server.kill('SIGTERM');
      s.cleanup();
    }
  }

  test('given a part, when run with openstacksdk, then one PUT into the container with X-Delete-After, on a path the access rule allows', () => {
    const r = putThroughFakeSwift(201);
    expect(r.output).toBe('');
    expect(r.status).toBe(0);
    expect(r.requests).toEqual([{ method: 'PUT', path: `/v1/AUTH_0123/${CONTAINER}/db-1/vital/20261121T023000Z/image.qcow2.part-0000`, deleteAfter: '270000', body: 'part of a qcow2 image\n' }]);
    const [rule] = backupAccessRules({ volumeBackups: false, offsiteContainer: CONTAINER }).filter((x) => x.service === 'object-store');
    expect(pathMatches(rule.path, r.requests[0].path)).toBe(true);
  });

  test('given Swift refuses the PUT, then it exits non-zero', () => {
    const r = putThroughFakeSwift(403);
    expect(r.status).not.toBe(0);
  });
});
