import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { parse, stringify } from 'yaml';
import { Testing } from 'cdktf';
import { resolveTerraformString } from '../../lib/core/terraform-text';
import { CloudConfig, HostingStack, HostingStacksError, Secret } from '../../lib';
import { base64Length, USER_DATA_MAX_BASE64 } from '../../lib/renderers';

describe('CloudConfig', () => {
  test('a secret file takes a Secret, base64-encoded at apply once per variable, and refuses a plain string without showing it', () => {
    const stack = new HostingStack(Testing.app(), 'shop');
    const key = Secret.variable(stack, 'site_tls_private_key', 'PEM private key');
    const a = new CloudConfig('web-1', { metadataGuard: false });
    const b = new CloudConfig('web-2', { metadataGuard: false });
    const fa = a.addSecretFile('/etc/ssl/private/site.key', key);
    const fb = b.addSecretFile('/etc/ssl/private/site.key', key);
    expect(fa.path).toBe('/etc/ssl/private/site.key.b64');
    // The same token for both servers: one expression, resolved once.
    expect(fa.content).toBe(fb.content);
    expect(resolveTerraformString(stack, fa.content)).toBe('${base64encode(var.site_tls_private_key)}\n');
    let message = '';
    try {
      a.addSecretFile('/etc/ssl/private/other.key', '-----BEGIN PRIVATE KEY-----' as never);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/^host web-1: 'secret' \('<a string of 27 characters>'\) must be a Secret/);
  });

  test('renders files, packages, services and commands as #cloud-config YAML', () => {
    const c = new CloudConfig('web-1', { metadataGuard: false });
    c.addPackages('apache2', 'apache2');
    c.addFile({ path: '/etc/apache2/apache2.conf', content: 'Listen 80\nServerName web-1\n' });
    c.addPreServiceCommand('sysctl', '--system');
    c.addServices('apache2');
    c.addCommand('echo', 'done');
    const text = c.render();
    expect(text.startsWith('#cloud-config\n')).toBe(true);
    const doc = parse(text);
    expect(doc.hostname).toBe('web-1');
    expect(doc.packages).toEqual(['apache2']);
    expect(doc.write_files).toEqual([{ path: '/etc/apache2/apache2.conf', owner: 'root:root', permissions: '0644', defer: true, content: 'Listen 80\nServerName web-1\n' }]);
    expect(doc.runcmd).toEqual(['set -e', ['dpkg-query', '--show', ...doc.packages], ['sysctl', '--system'], ['systemctl', 'daemon-reload'], ['systemctl', 'enable', 'apache2'], ['systemctl', 'restart', 'apache2'], ['echo', 'done']]);
  });

  test.each([false, true])('given files of every awkward shape (compress %s), then the document is the YAML of itself, file by file as a whole document would be', (compress) => {
    // The document is written item by item (each file's YAML reused across servers): it must be
    // exactly what one YAML rendering of the whole parsed document gives.
    const contents = [
      '', 'one line, no newline', 'trailing newlines\n\n\n', '  leading spaces\nthen text\n', 'blank\n\n  \nlines with spaces\n',
      'key: value # not a comment\n- not a list\n', "quotes ' and \" and \\ backslash\n", 'tab\there\n', 'ünïcödé ✓\n',
      '${var.kept_as_reference}\n', '#!/bin/sh\nexit 0\n', 'a\r\nwindows line\r\n', 'x'.repeat(5000) + '\n',
    ];
    const c = new CloudConfig('web-1', { metadataGuard: false });
    c.addPackages('nginx');
    contents.forEach((content, i) => c.addFile({ path: `/etc/f${i}`, content, permissions: i % 2 ? '0600' : undefined }));
    c.addCommand('echo', 'done');
    const text = c.render({ compress });
    // The readiness step is what a digest adds to the document.
    expect(c.render({ compress, configDigest: 'a'.repeat(64) })).toBe(text + c.readinessStep('a'.repeat(64)));
    expect(text).toBe('#cloud-config\n' + stringify(parse(text), { blockQuote: 'literal', lineWidth: 0 }));
    const written = new Map((parse(text).write_files as { path: string; content: string; encoding?: string }[])
      .map((f) => [f.path, f.encoding === 'gz+b64' ? gunzipSync(Buffer.from(f.content, 'base64')).toString() : f.content]));
    expect(contents.map((_, i) => written.get(`/etc/f${i}`))).toEqual(contents);
    const empty = new CloudConfig('web-2', { metadataGuard: false });
    expect(parse(empty.render({ compress })).write_files).toEqual([]);
  });

  test('given a runcmd whose first command fails, when cloud-init runs it, then nothing after it runs and the script fails', () => {
    // cloud-init writes runcmd as one sh script, one line per item (lists quoted, strings verbatim).
    const c = new CloudConfig('web-1', { metadataGuard: false });
    c.addPreServiceCommand('false');
    c.addCommand('touch', '/nonexistent-dir/should-not-run');
    const doc = parse(c.render());
    const script = (doc.runcmd as (string | string[])[]).map((i) => (typeof i === 'string' ? i : i.map((a) => `'${a}'`).join(' '))).join('\n');
    const r = spawnSync('sh', ['-c', script], { encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).not.toMatch(/nonexistent-dir/);
  });

  test('refuses two files at one path and relative paths', () => {
    const c = new CloudConfig('web-1', { metadataGuard: false });
    c.addFile({ path: '/etc/a', content: '' });
    expect(() => c.addFile({ path: '/etc/a', content: 'x' })).toThrow(/^host web-1: 'file\.path' \('\/etc\/a'\) is already a file of web-1; two files would be written to it$/);
    expect(() => c.addFile({ path: 'etc/b', content: '' })).toThrow(/^host web-1: 'file\.path' \('etc\/b'\) must be an absolute path of segments/);
  });

  test('refuses what cloud-init or the host would misread: syntax, mode, owner, package, unit, command', () => {
    const c = new CloudConfig('web-1', { metadataGuard: false });
    const js = <T>(v: unknown): T => v as T;
    expect(() => c.addFile({ path: '/etc/a b', content: '' })).toThrow(/'file\.path' \('\/etc\/a b'\) must be an absolute path/);
    expect(() => c.addFile({ path: '/etc/a', content: '', syntax: js('nginx-conf') })).toThrow(/'file\.syntax' \('nginx-conf'\) must be one of ConfigSyntax\./);
    expect(() => c.addFile({ path: '/etc/a', content: '', permissions: '644' })).toThrow(/'file\.permissions' \('644'\) must be an octal mode of four digits/);
    expect(() => c.addFile({ path: '/etc/a', content: '', owner: 'root' })).toThrow(/'file\.owner' \('root'\) must be 'user:group'/);
    expect(() => c.addPackages('nginx; rm -rf /')).toThrow(/'packages' \('nginx; rm -rf \/'\) must be Debian package names/);
    expect(() => c.addServices('nginx\nExecStart=/bin/sh')).toThrow(/'services' \('nginx\\nExecStart=\/bin\/sh'\) must be systemd unit names/);
    expect(() => c.addCommand()).toThrow(/'command' \(\[\]\) must name a program to run/);
    expect(() => c.addCommand('echo', 'a\nb')).toThrow(/'command\[1\]' \('a\\nb'\) must be a string without line breaks/);
    // Nothing half-added: the refused file, package and unit are not there.
    expect(c.hostFiles).toEqual([]);
    expect(c.packages).toEqual([]);
    expect(c.services).toEqual([]);
  });

  test('names its server construct when it has one', () => {
    const owner = { node: { path: 'shop/Web/Instance1' } } as unknown as import('constructs').IConstruct;
    const c = new CloudConfig('web-1', { metadataGuard: false, owner });
    expect(() => c.addFile({ path: 'relative', content: '' })).toThrow(/^shop\/Web\/Instance1: 'file\.path' \('relative'\)/);
  });

  test('compresses file bodies when the user data would exceed Nova\'s limit', () => {
    const c = new CloudConfig('big-1', { metadataGuard: false });
    c.addFile({ path: '/srv/big.txt', content: 'line of repetitive text\n'.repeat(4000) });
    expect(base64Length(c.render())).toBeGreaterThan(USER_DATA_MAX_BASE64);
    expect(c.needsCompression()).toBe(true);
    const small = new CloudConfig('small-1', { metadataGuard: false });
    small.addFile({ path: '/srv/small.txt', content: 'one line\n' });
    expect(small.needsCompression()).toBe(false);
    expect(small.renderWithinLimit()).toBe(small.render());
    const packed = c.renderWithinLimit();
    expect(base64Length(packed)).toBeLessThanOrEqual(USER_DATA_MAX_BASE64);
    expect(parse(packed).write_files[0].encoding).toBe('gz+b64');
  });

  test('throws when even compressed the user data does not fit', () => {
    const c = new CloudConfig('huge-1');
    // 128,000 hex digits of a SHA-256 chain: 4 bits of entropy per character, so gzip cannot fit it.
    let noise = '';
    let h = 'seed';
    while (noise.length < 128000) {
      h = createHash('sha256').update(h).digest('hex');
      noise += h;
    }
    c.addFile({ path: '/srv/noise', content: noise });
    expect(() => c.renderWithinLimit()).toThrow(HostingStacksError);
    expect(() => c.needsCompression()).toThrow(/even with compressed files/);
    expect(() => c.renderWithinLimit()).toThrow(/^host huge-1: 'user_data' \(\d+\) is the base64 length of huge-1's cloud-config even with compressed files; Nova allows at most 65535$/);
  });
});
