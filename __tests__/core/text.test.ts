import { Construct } from 'constructs';
import { App } from 'cdktf';
import { HostingStacksError } from '../../lib/core/errors';
import {
  TextKind, checkText, hasControlCharacter, healthCheckPathRule, requireOptionalText, requireText, requireTextRule, requireTexts,
} from '../../lib/core/text';
import { TemplateInjectionError, checkTemplateModel, renderTemplate, withConstructPath } from '../../lib/config/template';
import { CloudConfig } from '../../lib/compute/cloud-config';

function scope(): Construct {
  return new Construct(new App(), 'Shop');
}

const CASES: Record<TextKind, { readonly good: readonly string[]; readonly bad: readonly string[] }> = {
  [TextKind.URL_PATH]: {
    good: ['/', '/healthz', '/a/b.html', '/~user/x_y-z', '/a%20b', '/status:ok@x'],
    bad: ['', 'healthz', '/ok\r\n    server evil 203.0.113.66:80', '/a b', '/a"b', "/a'b", '/a;b', '/a#b', '/a?b=1', '/a{b}', '/a$b', '/a\\b', '/a(b)', '/a%2', '/\u2028'],
  },
  [TextKind.HOST_NAME]: {
    good: ['www.example.com', 'localhost', 'a-b.c9', 'x'],
    bad: ['', '-a.com', 'a-.com', 'a..com', 'a_b.com', 'a.com\nb', 'a com', `${'a'.repeat(64)}.com`],
  },
  [TextKind.IDENTIFIER]: {
    good: ['shop', '_x', 'Shop_2'],
    bad: ['', '2shop', 'a-b', 'a b', "a'", 'a\n', 'a'.repeat(65)],
  },
  [TextKind.NAME]: {
    good: ['members', 'mini-site', 'v1.2_3', '9a'],
    bad: ['', '-a', '.a', 'a b', 'a;b', 'a{', 'a\n', 'a'.repeat(65)],
  },
  [TextKind.ABSOLUTE_PATH]: {
    good: ['/var/www', '/etc/x.conf'],
    bad: ['', 'var', '/var/../etc', '/var/./x', '/a b', '/a\n', "/a'", '/var/'],
  },
  [TextKind.HTTP_URL]: {
    good: ['https://example.com', 'http://10.0.0.1:8080/a/b.war', 'https://download.example.com/x.tar.gz?sig=a%2Fb&exp=1'],
    bad: ['ftp://example.com/', 'https://', 'https://exa mple.com/', "https://example.com/a'b", 'https://example.com/a$(id)', 'https://user@example.com/', 'https://example.com/#x', 'https://example.com:70000/', 'https://example.com/a\u0000'],
  },
  [TextKind.EMAIL]: {
    good: ['admin@example.com', 'a.b+c@x.fr'],
    bad: ['admin', 'a@', '@example.com', 'a b@example.com', "a'@example.com", 'a@example.com\nBcc: x'],
  },
  [TextKind.FREE_TEXT]: {
    good: ["administrators' SSH to shop/Web", 'Très forte affluence', 'x'],
    bad: ['', '   ', 'a\nb', 'a\rb', 'a\tb', 'a\u0000b', 'a\u001bb', 'a\u0085b', 'a\u2028b', 'x'.repeat(1025)],
  },
  [TextKind.WORD]: {
    good: ['/usr/bin/systemctl', '-XX:+UseG1GC', 'user@host', '--key=a,b', '100%', '_apt', 'cdktf.out/stacks/shop'],
    bad: ['', 'a b', "a'b", 'a"b', 'a`id`', '$(id)', 'a;b', 'a&b', 'a|b', 'a#b', '~root', 'a*', 'a?', 'a[b]', 'a{b}', 'a(b)', 'a<b', 'a>b', 'a!b', 'a\\b', 'a\nb', 'a\u0000', 'é', 'a'.repeat(4097)],
  },
};

describe('TextKind validators', () => {
  for (const [kind, { good, bad }] of Object.entries(CASES) as [TextKind, (typeof CASES)[TextKind]][]) {
    describe(kind, () => {
      it.each(good.map((v) => [v]))('given %j, then it passes', (value) => {
        expect(checkText(value, kind)).toBeUndefined();
        expect(requireText(scope(), 'prop', value, kind)).toBe(value);
      });
      it.each(bad.map((v) => [v]))('given %j, then it throws naming the path, the prop and what is allowed', (value) => {
        expect(checkText(value, kind)).toMatch(/^must /);
        expect(() => requireText(scope(), 'prop', value, kind)).toThrow(HostingStacksError);
        expect(() => requireText(scope(), 'prop', value, kind)).toThrow(new RegExp(`^Shop: 'prop' \\('.*'\\) ${checkText(value, kind)!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 's'));
      });
    });
  }

  it('given a value that is not a string (a JavaScript caller), then it throws', () => {
    const lookAlike = { toString: () => '/ok\nserver evil 203.0.113.66:80' };
    expect(() => requireText(scope(), 'path', lookAlike, TextKind.URL_PATH)).toThrow(/^Shop: 'path' \(\{\}\) must start with '\/'/);
    expect(() => requireText(scope(), 'path', 42, TextKind.NAME)).toThrow(/^Shop: 'path' \(42\) must be a name/);
  });

  it('given a control character in a bad value, then the message shows it escaped on one line', () => {
    expect(() => requireText(scope(), 'path', '/a\r\nb\u001b', TextKind.URL_PATH)).toThrow(/^Shop: 'path' \('\/a\\r\\nb\\u001b'\) must/);
  });

  it('given an optional value, then undefined passes and a bad value throws', () => {
    expect(requireOptionalText(scope(), 'x', undefined, TextKind.NAME)).toBeUndefined();
    expect(() => requireOptionalText(scope(), 'x', 'a b', TextKind.NAME)).toThrow(/^Shop: 'x' \('a b'\) must be a name/);
  });

  it('given a list, then each entry is checked and named by its index', () => {
    expect(requireTexts(scope(), 'paths', ['/a', '/b'], TextKind.URL_PATH)).toEqual(['/a', '/b']);
    expect(() => requireTexts(scope(), 'paths', ['/a', '/b c'], TextKind.URL_PATH)).toThrow(/^Shop: 'paths\[1\]' \('\/b c'\) must start with '\/'/);
    expect(() => requireTexts(scope(), 'paths', '/a', TextKind.URL_PATH)).toThrow(/^Shop: 'paths' \('\/a'\) must be a list of strings; each must start with '\/'/);
  });

  it('hasControlCharacter finds C0, DEL, C1 and the Unicode line separators, not printable text', () => {
    for (const c of ['\n', '\r', '\t', '\u0000', '\u001b', '\u007f', '\u0085', '\u2028', '\u2029']) expect(hasControlCharacter(`a${c}b`)).toBe(true);
    expect(hasControlCharacter("Très forte affluence / Very busy: it's 100%")).toBe(false);
  });
});

describe('TextRule: a narrower rule on top of a kind', () => {
  const prefix = { pattern: /^[a-z0-9_]+$/, maxLength: 20, allowed: 'must be at most 20 lower-case letters, digits and underscores' };

  it('given a value that fits the kind and the rule, then it passes', () => {
    expect(checkText('shop_', TextKind.IDENTIFIER, prefix)).toBeUndefined();
    expect(requireText(scope(), 'tablePrefix', 'shop_', TextKind.IDENTIFIER, prefix)).toBe('shop_');
  });

  it.each([
    ['the pattern', 'Shop_'],
    ['the maximum length', 'a'.repeat(21)],
  ])('given a value of the kind that breaks %s, then it throws with the rule\'s text', (_what, value) => {
    expect(() => requireText(scope(), 'tablePrefix', value, TextKind.IDENTIFIER, prefix))
      .toThrow(new RegExp(`^Shop: 'tablePrefix' \\('${value}'\\) must be at most 20 lower-case letters, digits and underscores$`));
  });

  it('given a value the rule would let through but the kind refuses (a line break), then it throws with the rule\'s text', () => {
    const loose = { pattern: /^[^'"]+$/, allowed: 'must be anything without quotes' };
    expect(checkText('a\nb', TextKind.FREE_TEXT, loose)).toBe('must be anything without quotes');
    expect(checkText('a b', TextKind.NAME, loose)).toBe('must be anything without quotes');
    expect(() => requireText(scope(), 'x', 42, TextKind.NAME, loose)).toThrow(/^Shop: 'x' \(42\) must be anything without quotes$/);
  });

  it('given minLength, reserved values and a test, then each refuses', () => {
    const rule = { minLength: 3, reserved: ['root'], test: (v: string) => !v.startsWith('x'), allowed: 'must be a user other than root' };
    expect(checkText('deploy', TextKind.NAME, rule)).toBeUndefined();
    for (const v of ['ab', 'root', 'xavier']) expect(checkText(v, TextKind.NAME, rule)).toBe('must be a user other than root');
  });

  it('given a pattern with the g or y flag, then repeated checks give the same answer (no lastIndex state)', () => {
    const rule = { pattern: /^[a-z]+$/g, allowed: 'must be lower-case' };
    for (let i = 0; i < 3; i++) expect(checkText('abc', TextKind.NAME, rule)).toBeUndefined();
  });

  it('given an optional value or a list, then the rule applies to each value and names the entry', () => {
    const rule = { pattern: /^[a-z]+$/, allowed: 'must be lower-case letters' };
    expect(requireOptionalText(scope(), 'x', undefined, TextKind.NAME, rule)).toBeUndefined();
    expect(() => requireOptionalText(scope(), 'x', 'A', TextKind.NAME, rule)).toThrow(/^Shop: 'x' \('A'\) must be lower-case letters$/);
    expect(() => requireTexts(scope(), 'names', ['a', 'B'], TextKind.NAME, rule)).toThrow(/^Shop: 'names\[1\]' \('B'\) must be lower-case letters$/);
    expect(() => requireTexts(scope(), 'names', 'a', TextKind.NAME, rule)).toThrow(/^Shop: 'names' \('a'\) must be a list of strings; each is lower-case letters$/);
  });

  it('requireTextRule checks a shared rule with its kind', () => {
    const rule = { kind: TextKind.HOST_NAME, allowed: "must be a DNS name such as 'www.example.com'" };
    expect(requireTextRule(scope(), 'serverName', 'www.example.com', rule)).toBe('www.example.com');
    expect(() => requireTextRule(scope(), 'serverName', 'www.example.com\nevil', rule)).toThrow(/^Shop: 'serverName' \('www\.example\.com\\nevil'\) must be a DNS name such as 'www\.example\.com'$/);
  });
});

describe('healthCheckPathRule', () => {
  const check = (rule: ReturnType<typeof healthCheckPathRule>, value: string) => checkText(value, rule.kind, rule);

  it('given no reserved path, then an absolute path of segments passes and anything else is refused', () => {
    const rule = healthCheckPathRule();
    expect(rule.kind).toBe(TextKind.ABSOLUTE_PATH);
    expect(rule.allowed).toBe("must be an absolute path of letters, digits, '.', '_' and '-' segments without a trailing '/' (e.g. '/healthz')");
    for (const v of ['/healthz', '/a/b.txt', '/.well-known/health', '/server-status']) expect(check(rule, v)).toBeUndefined();
    for (const v of ['healthz', '/', '/healthz/', '/a//b', '/a/../b', '/a b', '/a?b', '/a\nb', `/${'a'.repeat(255)}`]) expect(check(rule, v)).toBe(rule.allowed);
  });

  it('given reserved paths, then they are refused and the message lists them', () => {
    const rule = healthCheckPathRule(['/server-status']);
    expect(check(rule, '/server-status')).toBe("must be an absolute path of letters, digits, '.', '_' and '-' segments without a trailing '/', other than '/server-status' (e.g. '/healthz')");
    expect(check(rule, '/server-status/x')).toBeUndefined();
  });

  it('given the one-segment shape, then only /[A-Za-z0-9_-]+ passes', () => {
    const rule = healthCheckPathRule(['/fpm-status', '/fpm-ping', '/server-status'], 'one-segment');
    expect(rule.allowed).toBe("must be one path segment of letters, digits, '_' and '-', other than '/fpm-status', '/fpm-ping' and '/server-status' (e.g. '/healthz')");
    expect(check(rule, '/healthz')).toBeUndefined();
    for (const v of ['/a/b', '/a.php', '/fpm-ping', '/fpm-status']) expect(check(rule, v)).toBe(rule.allowed);
  });

  it('given the visible-segments shape and reserved prefixes, then hidden segments and paths in the prefixes are refused', () => {
    const rule = healthCheckPathRule([], 'visible-segments', ['/media/', '/skin/', '/js/']);
    expect(rule.allowed).toBe("must be an absolute path of letters, digits, '.', '_' and '-' segments (not starting with '.') without a trailing '/', outside /media/, /skin/ and /js/ (e.g. '/healthz')");
    for (const v of ['/healthz', '/mediax', '/a/b.html', '/js.txt']) expect(check(rule, v)).toBeUndefined();
    for (const v of ['/media', '/media/health', '/skin/x', '/js', '/.hidden', '/a/.b']) expect(check(rule, v)).toBe(rule.allowed);
  });
});

describe('renderTemplate backstop', () => {
  it('given a value refused while rendering for a construct, then the error names the construct path, the template and the key', () => {
    const server = scope();
    const render = () => renderTemplate('daemon-args.hbs', { args: ['--web.listen-address=:9090\nExecStartPre=/bin/sh'] });
    expect(() => withConstructPath(server, render)).toThrow(HostingStacksError);
    expect(() => withConstructPath(server, render)).toThrow(/^Shop: 'template daemon-args\.hbs: args\[0\]' \('--web\.listen-address=:9090\\nExecStartPre=\/bin\/sh'\) holds a line break/);
    // Other errors pass through unchanged.
    expect(() => withConstructPath(server, () => { throw new RangeError('x'); })).toThrow(RangeError);
  });

  it('given a lazy host file whose model holds a line break, then reading it names the server construct', () => {
    const c = new CloudConfig('web-1', { metadataGuard: false, owner: scope() });
    const file = c.addLazyFile('/etc/default/x', undefined, () => renderTemplate('daemon-args.hbs', { args: ['a\rb'] }));
    expect(() => file.content).toThrow(/^Shop: 'template daemon-args\.hbs: args\[0\]'/);
  });

  it('given a line break deep in a model, then it throws naming the template and the key path', () => {
    const bad = { backend: { servers: [{ name: 'web-1' }, { name: 'web-2\n    server evil 203.0.113.66:80' }] } };
    expect(() => checkTemplateModel('haproxy.cfg.hbs', bad)).toThrow(TemplateInjectionError);
    expect(() => checkTemplateModel('haproxy.cfg.hbs', bad)).toThrow(HostingStacksError);
    expect(() => checkTemplateModel('haproxy.cfg.hbs', bad)).toThrow(
      /^template haproxy\.cfg\.hbs: 'backend\.servers\[1\]\.name' \('web-2\\n    server evil 203\.0\.113\.66:80'\) holds a line break or another control character/,
    );
  });

  it('given a refused value, then the error carries the template as its path and the key path as its prop', () => {
    let thrown: unknown;
    try {
      checkTemplateModel('haproxy.cfg.hbs', { backend: { name: 'a\nb' } });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(TemplateInjectionError);
    const error = thrown as TemplateInjectionError;
    expect([error.constructPath, error.prop, error.template, error.keyPath, error.value, error.name]).toEqual(['template haproxy.cfg.hbs', 'backend.name', 'haproxy.cfg.hbs', 'backend.name', 'a\nb', 'TemplateInjectionError']);
  });

  it.each([['\r'], ['\u0000'], ['\u001b'], ['\t'], ['\u0085'], ['\u2028']])('given %j in a one-line value, then it throws', (c) => {
    expect(() => checkTemplateModel('t.hbs', { a: [`x${c}y`] })).toThrow(/^template t\.hbs: 'a\[0\]' \('x\\(r|u0000|u001b|t|u0085|u2028)y'\) holds a line break/);
  });

  it('given line feeds and tabs at a multi-line key path, then they pass, and a carriage return or ESC there still throws', () => {
    const pem = '-----BEGIN PRIVATE KEY-----\nMIIB\tx\n-----END PRIVATE KEY-----\n';
    expect(() => checkTemplateModel('t.hbs', { files: [{ content: pem }] }, ['files[].content'])).not.toThrow();
    expect(() => checkTemplateModel('t.hbs', { files: [{ content: pem, path: '/a\nb' }] }, ['files[].content'])).toThrow(/^template t\.hbs: 'files\[0\]\.path' \('\/a\\nb'\)/);
    expect(() => checkTemplateModel('t.hbs', { files: [{ content: 'a\r\nb' }] }, ['files[].content'])).toThrow(/^template t\.hbs: 'files\[0\]\.content' .* multi-line content may hold line feeds and tabs only/);
  });

  it('given an object whose toString renders a line break (a JavaScript caller), then it throws', () => {
    expect(() => checkTemplateModel('t.hbs', { path: { toString: () => '/ok\nevil' } })).toThrow(/^template t\.hbs: 'path' \('\/ok\\nevil'\)/);
  });

  it('given a cyclic model, then it terminates', () => {
    const a: Record<string, unknown> = { name: 'x' };
    a.self = a;
    expect(() => checkTemplateModel('t.hbs', a)).not.toThrow();
  });

  it('renders a clean model, and refuses one with an injected line before rendering', () => {
    expect(renderTemplate('daemon-args.hbs', { daemon: 'prometheus', args: '--web.listen-address=127.0.0.1:9090' })).toContain('ARGS="--web.listen-address=127.0.0.1:9090"');
    expect(() => renderTemplate('daemon-args.hbs', { daemon: 'prometheus\nEVIL=1', args: '' })).toThrow(/^template daemon-args\.hbs: 'daemon' \('prometheus\\nEVIL=1'\)/);
  });
});
