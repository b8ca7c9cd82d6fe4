import { Construct } from 'constructs';
import { App } from 'cdktf';
import { HostingStacksError } from '../../lib/core/errors';
import { TextKind, checkText, hasControlCharacter, requireOptionalText, requireText, requireTexts } from '../../lib/core/text';
import { TemplateInjectionError, checkTemplateModel, renderTemplate } from '../../lib/config/template';

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

describe('renderTemplate backstop', () => {
  it('given a line break deep in a model, then it throws naming the template and the key path', () => {
    const bad = { backend: { servers: [{ name: 'web-1' }, { name: 'web-2\n    server evil 203.0.113.66:80' }] } };
    expect(() => checkTemplateModel('haproxy.cfg.hbs', bad)).toThrow(TemplateInjectionError);
    expect(() => checkTemplateModel('haproxy.cfg.hbs', bad)).toThrow(
      /^template haproxy\.cfg\.hbs: model value 'backend\.servers\[1\]\.name' \("web-2\\n    server evil 203\.0\.113\.66:80"\) holds a line break or another control character/,
    );
  });

  it.each([['\r'], ['\u0000'], ['\u001b'], ['\t'], ['\u0085'], ['\u2028']])('given %j in a one-line value, then it throws', (c) => {
    expect(() => checkTemplateModel('t.hbs', { a: [`x${c}y`] })).toThrow(/model value 'a\[0\]'/);
  });

  it('given line feeds and tabs at a multi-line key path, then they pass, and a carriage return or ESC there still throws', () => {
    const pem = '-----BEGIN PRIVATE KEY-----\nMIIB\tx\n-----END PRIVATE KEY-----\n';
    expect(() => checkTemplateModel('t.hbs', { files: [{ content: pem }] }, ['files[].content'])).not.toThrow();
    expect(() => checkTemplateModel('t.hbs', { files: [{ content: pem, path: '/a\nb' }] }, ['files[].content'])).toThrow(/model value 'files\[0\]\.path'/);
    expect(() => checkTemplateModel('t.hbs', { files: [{ content: 'a\r\nb' }] }, ['files[].content'])).toThrow(/model value 'files\[0\]\.content' .* multi-line content may hold line feeds and tabs only/);
  });

  it('given an object whose toString renders a line break (a JavaScript caller), then it throws', () => {
    expect(() => checkTemplateModel('t.hbs', { path: { toString: () => '/ok\nevil' } })).toThrow(/model value 'path'/);
  });

  it('given a cyclic model, then it terminates', () => {
    const a: Record<string, unknown> = { name: 'x' };
    a.self = a;
    expect(() => checkTemplateModel('t.hbs', a)).not.toThrow();
  });

  it('renders a clean model, and refuses one with an injected line before rendering', () => {
    expect(renderTemplate('daemon-args.hbs', { daemon: 'prometheus', args: '--web.listen-address=127.0.0.1:9090' })).toContain('ARGS="--web.listen-address=127.0.0.1:9090"');
    expect(() => renderTemplate('daemon-args.hbs', { daemon: 'prometheus\nEVIL=1', args: '' })).toThrow(/^template daemon-args\.hbs: model value 'daemon'/);
  });
});
