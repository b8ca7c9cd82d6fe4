/**
 * The metadata guard every server gets, loaded with `nft -f` in a network namespace of this test's
 * own: a listener stands in for the metadata service on 169.254.169.254:80 (on one end of a veth
 * pair inside the namespace), root connects to it, `nobody` is refused. All traffic stays in the
 * namespace; every command is bounded by `timeout`; the namespace is removed at the end.
 */
import { spawn } from 'node:child_process';
import { DEFAULT_METADATA_GUARD, METADATA_IPV4, renderMetadataGuardRuleset } from '../../lib/compute/metadata-guard';
import { requireLabHost, run, scratch } from '../support/daemons';

const NS = `hs-metadata-${process.pid}`;
const URL = `http://${METADATA_IPV4}/latest/user_data`;
const AS_NOBODY = ['setpriv', '--reuid', 'nobody', '--regid', 'nogroup', '--clear-groups'];

/** `curl` of the fake metadata service inside the namespace, optionally as another user. */
function fetch(asUser: string[] = []): { ok: boolean; output: string } {
  return run(['ip', 'netns', 'exec', NS, 'timeout', '10', ...asUser, 'curl', '-sS', '--max-time', '5', URL], { timeoutMs: 15000 });
}

function sh(argv: string[]): void {
  const r = run(argv, { timeoutMs: 15000 });
  if (!r.ok) throw new Error(`${argv.join(' ')}: ${r.output}`);
}

describe('metadata guard (nft in a network namespace)', () => {
  const files = scratch('metadata-guard');
  let server: ReturnType<typeof spawn> | undefined;

  beforeAll(() => {
    requireLabHost(['ip', 'nft', 'setpriv', 'curl', 'python3', 'timeout']);
    files.write('www/latest/user_data', '#cloud-config\nsecret: s3cr3t\n');
    sh(['ip', 'netns', 'add', NS]);
    sh(['ip', '-n', NS, 'link', 'set', 'lo', 'up']);
    sh(['ip', '-n', NS, 'link', 'add', 'hsmd0', 'type', 'veth', 'peer', 'name', 'hsmd1']);
    sh(['ip', '-n', NS, 'address', 'add', '10.254.0.1/30', 'dev', 'hsmd0']);
    sh(['ip', '-n', NS, 'address', 'add', `${METADATA_IPV4}/32`, 'dev', 'hsmd1']);
    sh(['ip', '-n', NS, 'link', 'set', 'hsmd0', 'up']);
    sh(['ip', '-n', NS, 'link', 'set', 'hsmd1', 'up']);
    server = spawn('ip', ['netns', 'exec', NS, 'timeout', '120', 'python3', '-m', 'http.server', '--bind', METADATA_IPV4, '--directory', `${files.dir}/www`, '80'], { stdio: 'ignore' });
    for (let i = 0; i < 50 && !fetch().ok; i++) run(['sleep', '0.2']);
  });

  afterAll(() => {
    server?.kill('SIGTERM');
    run(['ip', 'netns', 'del', NS]);
    files.cleanup();
  });

  test('given no guard, then any user reads the user data (what the guard is for)', () => {
    expect(fetch()).toMatchObject({ ok: true, output: expect.stringContaining('secret: s3cr3t') });
    expect(fetch(AS_NOBODY)).toMatchObject({ ok: true, output: expect.stringContaining('secret: s3cr3t') });
  });

  test('given the guard loaded with nft -f, then root still reads the user data', () => {
    sh(['ip', 'netns', 'exec', NS, 'timeout', '10', 'nft', '-f', files.write('guard.nft', renderMetadataGuardRuleset(DEFAULT_METADATA_GUARD))]);
    expect(fetch()).toMatchObject({ ok: true, output: expect.stringContaining('secret: s3cr3t') });
  });

  test('given the guard, then the same request as nobody is refused', () => {
    const r = fetch(AS_NOBODY);
    expect(r.ok).toBe(false);
    expect(r.output).toMatch(/Connection refused|Couldn't connect/);
    expect(r.output).not.toMatch(/s3cr3t/);
  });

  test('given the guard loaded a second time, then the namespace holds one copy of it', () => {
    sh(['ip', 'netns', 'exec', NS, 'timeout', '10', 'nft', '-f', `${files.dir}/guard.nft`]);
    const listing = run(['ip', 'netns', 'exec', NS, 'timeout', '10', 'nft', 'list', 'ruleset'], { timeoutMs: 15000 }).output;
    expect(listing.match(/meta skuid != 0/g)).toHaveLength(2);
    expect(fetch(AS_NOBODY).ok).toBe(false);
  });
});
