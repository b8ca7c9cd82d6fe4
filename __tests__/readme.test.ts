/**
 * The README is part of the product: every ```ts block in it compiles and runs, and its table of
 * required Terraform variables is the one the stacks declare.
 *
 * Samples: each ```ts block is a sample. A block right after `<!-- sample NAME ... -->` is named; a
 * block right after `<!-- sample continues NAME -->` is a fragment of sample NAME and is compiled
 * and run inside it, inserted before its `app.synth();` line (the README says so in prose). Every
 * other block must stand alone. Each program is written into a temporary folder in the repository,
 * each `from 'hosting-stacks...'` pointing at the source of that entry point of package.json
 * `exports` (`'hosting-stacks'` at `lib/index`, `'hosting-stacks/testing'` at `lib/testing`; a
 * subpath the package does not export fails), type-checked with the repository's compiler
 * options, then run with tsx (CDKTF_OUTDIR a temporary folder, `expect` available as in a jest
 * test): it must exit 0 and, if it synthesizes, have written a `cdk.tf.json` per stack.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Testing } from 'cdktf';
import * as ts from 'typescript';
import { HostingStack } from '../lib';
import { formatAvailability } from '../lib/architecture/architecture-notes';
import { buildAllStacks } from '../stacks/all';

const ROOT = join(__dirname, '..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** One ```ts block of the README. */
interface Sample {
  /** 1-based line of the opening fence. */
  readonly line: number;
  readonly code: string;
  /** The name given by `<!-- sample NAME -->`. */
  readonly name?: string;
  /** The sample this fragment belongs in, from `<!-- sample continues NAME -->`. */
  readonly continues?: string;
}

/** Every ```ts block of `markdown`, with the sample marker right before it, if any. */
function readmeSamples(markdown: string): Sample[] {
  const lines = markdown.split('\n');
  const samples: Sample[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^```ts\s*$/.test(lines[i])) continue;
    const end = lines.findIndex((l, j) => j > i && /^```\s*$/.test(l));
    if (end < 0) throw new Error(`README.md:${i + 1}: the ts block is never closed`);
    let k = i - 1;
    while (k >= 0 && lines[k].trim() === '') k--;
    const marker = k >= 0 ? /^<!--\s*sample\s+(continues\s+)?([a-z][\w-]*)\b.*-->\s*$/.exec(lines[k]) : null;
    samples.push({
      line: i + 1,
      code: lines.slice(i + 1, end).join('\n') + '\n',
      name: marker && !marker[1] ? marker[2] : undefined,
      continues: marker?.[1] ? marker[2] : undefined,
    });
    i = end;
  }
  return samples;
}

/** The program that compiles and runs `sample`: itself, or its base sample with it inserted before `app.synth();`. */
function programOf(sample: Sample, samples: Sample[]): string {
  if (!sample.continues) return sample.code;
  const base = samples.find((s) => s.name === sample.continues);
  if (!base) throw new Error(`README.md:${sample.line}: continues the sample '${sample.continues}', which no block is named`);
  const baseLines = base.code.split('\n');
  const synthLines = baseLines.flatMap((l, i) => (/^app\.synth\(\);/.test(l) ? [i] : []));
  if (synthLines.length !== 1) throw new Error(`README.md:${base.line}: sample '${base.name}' must have exactly one line starting with app.synth(); (has ${synthLines.length})`);
  const at = synthLines[0];
  return [...baseLines.slice(0, at), `// ---- README.md:${sample.line}`, sample.code, ...baseLines.slice(at)].join('\n');
}

const samples = readmeSamples(README);
const workDir = mkdtempSync(join(ROOT, '.readme-samples-'));
const outRoot = mkdtempSync(join(tmpdir(), 'hs-readme-out-'));
afterAll(() => {
  rmSync(workDir, { recursive: true, force: true });
  rmSync(outRoot, { recursive: true, force: true });
});

/**
 * The source of each entry point of package.json `exports`, as an import path from `workDir`:
 * `'hosting-stacks/renderers'` (built to `./dist/lib/renderers.js`) is `lib/renderers`.
 */
const entrySources: ReadonlyMap<string, string> = new Map(
  Object.entries((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, string | { default: string }> }).exports)
    .flatMap(([subpath, target]) => {
      const built = typeof target === 'object' ? /^\.\/dist\/(.+)\.js$/.exec(target.default) : null;
      return built ? [[`hosting-stacks${subpath.slice(1)}`, relative(workDir, join(ROOT, built[1])).split('\\').join('/')] as const] : [];
    }),
);

/** The sample written as a TypeScript file in `workDir`, importing the repository's sources of the package's entry points. */
const files = samples.map((sample) => {
  const file = join(workDir, `readme-line-${sample.line}.ts`);
  writeFileSync(file, programOf(sample, samples).replace(/from '(hosting-stacks(?:\/[\w/-]+)?)'/g, (_m, entry: string) => {
    const source = entrySources.get(entry);
    if (!source) throw new Error(`README.md:${sample.line}: imports '${entry}', which package.json does not export (it exports ${[...entrySources.keys()].join(', ')})`);
    return `from '${source}'`;
  }));
  return file;
});

test('the README has TypeScript samples, and every fragment names a sample that exists', () => {
  expect(samples.length).toBeGreaterThan(0);
  for (const s of samples.filter((x) => x.continues)) expect(samples.map((x) => x.name)).toContain(s.continues);
});

test('every TypeScript sample of the README type-checks with the repository compiler options', () => {
  const config = ts.readConfigFile(join(ROOT, 'tsconfig.json'), ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT);
  // Unused declarations are a lint concern of the reader's project, not an error of a sample
  // (the lab sample declares a main() that the README does not call).
  const options = { ...parsed.options, noEmit: true, incremental: false, tsBuildInfoFile: undefined, noUnusedLocals: false, noUnusedParameters: false };
  const program = ts.createProgram(files, options);
  const diagnostics = ts.getPreEmitDiagnostics(program).filter((d) => !d.file || files.includes(d.file.fileName));
  const messages = diagnostics.map((d) => {
    const where = d.file && d.start !== undefined ? `${relative(ROOT, d.file.fileName)}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1}: ` : '';
    return where + ts.flattenDiagnosticMessageText(d.messageText, '\n');
  });
  expect(messages).toEqual([]);
});

describe.each(samples.map((s, i) => [s.line, s, files[i]] as const))('the README sample at line %d', (line, _sample, file) => {
  test('runs with tsx, exits 0 and, if it synthesizes, writes a cdk.tf.json for each stack', () => {
    const outdir = join(outRoot, `line-${line}`);
    // `expect` as in a jest test, for samples written for the reader's own tests.
    const preamble = join(workDir, 'expect-global.cjs');
    const expectModule = require.resolve('expect', { paths: [require.resolve('jest')] });
    writeFileSync(preamble, `globalThis.expect = require(${JSON.stringify(expectModule)}).expect;\n`);
    const result = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), file], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, CDKTF_OUTDIR: outdir, CHECKPOINT_DISABLE: '1', NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${preamble}`.trim() },
    });
    if (result.status !== 0) throw new Error(`${relative(ROOT, file)} exited ${result.status ?? result.signal}:\n${result.stderr}${result.error ?? ''}`);
    const stacksDir = join(outdir, 'stacks');
    const stacks = existsSync(stacksDir) ? readdirSync(stacksDir) : [];
    if (/\.synth\(\)/.test(readFileSync(file, 'utf8'))) expect(stacks.length).toBeGreaterThan(0);
    for (const stack of stacks) expect(existsSync(join(stacksDir, stack, 'cdk.tf.json'))).toBe(true);
  }, 180_000);
});

/** The section of `markdown` under the heading `heading`, up to the next heading of the same level. */
function section(markdown: string, heading: string): string {
  const start = markdown.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`README.md has no section '${heading}'`);
  const next = markdown.indexOf('\n## ', start + heading.length + 2);
  return markdown.slice(start, next < 0 ? undefined : next);
}

/**
 * `stack variable` pairs from the README table whose header is `| variable | \`stack\` | ... |`
 * (one column per stack, its name in backticks; 'yes' marks a variable the stack requires).
 */
function readmeRequiredVariables(markdown: string): string[] {
  const lines = section(markdown, '## Deploying a stack').split('\n');
  const headerAt = lines.findIndex((l) => /^\|\s*variable\s*\|.*\|\s*`[a-z][a-z0-9-]*`\s*\|/.test(l));
  if (headerAt < 0) throw new Error("README.md, '## Deploying a stack': no table headed '| variable | `<stack>` | ...'");
  const rawCells = (row: string) => row.split('|').slice(1, -1).map((c) => c.trim());
  const stackColumns = rawCells(lines[headerAt]).flatMap((h, i) => (/^`[a-z][a-z0-9-]*`$/.test(h) ? [[h.slice(1, -1), i] as const] : []));
  const rows = lines.slice(headerAt + 2);
  const end = rows.findIndex((l) => !l.startsWith('|'));
  return rows.slice(0, end < 0 ? undefined : end).flatMap((row) => {
    const c = rawCells(row);
    return stackColumns.filter(([, i]) => c[i] === 'yes').map(([stack]) => `${stack} ${c[0].replace(/^`|`$/g, '')}`);
  });
}

/** `text` safe in a Markdown table cell: no HTML tag, no column break. */
function markdownText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\|/g, '\\|');
}

/** The case studies' stacks, built once for the tables' checks. */
let builtStacks: HostingStack[] | undefined;
const caseStudyStacks = (): HostingStack[] => (builtStacks ??= buildAllStacks(Testing.app()));

test("the README's table of required Terraform variables is exactly the stacks' variables without a default", () => {
  const stacks = caseStudyStacks();
  const declared: Record<string, { description?: string; default?: unknown }> = {};
  const required = stacks.flatMap((stack) => {
    const variables = ((stack.toTerraform() as { variable?: Record<string, { description?: string; default?: unknown }> }).variable) ?? {};
    return Object.entries(variables)
      .filter(([, v]) => v.default === undefined)
      .map(([name, v]) => {
        declared[name] ??= v;
        return `${stack.node.id} ${name}`;
      });
  });
  const documented = readmeRequiredVariables(README);
  // On a mismatch, the table the stacks call for (descriptions from the variables) is printed.
  const names = [...new Set(required.map((r) => r.split(' ')[1]))].sort();
  const ids = stacks.map((s) => s.node.id);
  const table = [
    `| variable | ${ids.map((id) => `\`${id}\``).join(' | ')} | what it holds |`,
    `|---|${ids.map(() => '---').join('|')}|---|`,
    ...names.map((n) => `| \`${n}\` | ${ids.map((id) => (required.includes(`${id} ${n}`) ? 'yes' : '')).join(' | ')} | ${markdownText(declared[n].description ?? '')} |`),
  ].join('\n');
  if (JSON.stringify([...documented].sort()) !== JSON.stringify([...required].sort())) {
    throw new Error(`README.md, '## Deploying a stack': the table of required variables must be, from the synthesized stacks:\n${table}\n\nit lists: ${[...documented].sort().join(', ')}`);
  }
  expect([...documented].sort()).toEqual([...required].sort());
});

/**
 * Checks that the README table headed `header[0]` under `heading` is exactly `header` followed by
 * `rows`; on a mismatch, the error prints the table the stacks call for.
 */
function expectReadmeTable(heading: string, header: readonly [string, string], rows: readonly string[]): void {
  const table = [...header, ...rows].join('\n');
  const lines = section(README, heading).split('\n');
  const at = lines.indexOf(header[0]);
  const documented = at < 0 ? '(no such table)' : lines.slice(at, lines.findIndex((l, i) => i > at && !l.startsWith('|'))).join('\n');
  if (documented !== table) throw new Error(`README.md, '${heading}': the table must be, from the stacks:\n${table}\n\nit is:\n${documented}`);
  expect(documented).toBe(table);
}

test("the README's table of modelled availability and single points of failure is the stacks' own", () => {
  expectReadmeTable('## Architecture, single points of failure and availability', ['| stack | modelled availability | single points of failure |', '|---|---|---|'],
    caseStudyStacks().map((stack) => {
      const { assessment } = stack.architecture;
      const figure = assessment.availability === undefined ? 'none modelled' : formatAvailability(assessment.availability);
      const reported = stack.reportedAvailability ? ` (the document reports ${stack.reportedAvailability.percent} %)` : '';
      const spofs = assessment.singlePointsOfFailure.map((s) => `\`${s.tier}\``).join(', ') || 'none';
      return `| \`${stack.node.id}\` | ${figure}${reported} | ${spofs} |`;
    }));
});

test("the README's table of monthly costs is the stacks' own", () => {
  const money = (eur: number) => eur.toFixed(2);
  expectReadmeTable('## Cost', ['| stack | baseline / month | campaigns: extra over the baseline |', '|---|---:|---|'],
    caseStudyStacks().map((stack) => {
      const { monthlyEur, campaigns } = stack.cost;
      return `| \`${stack.node.id}\` | ${money(monthlyEur)} | ${campaigns.map((c) => `${c.campaign} +${money(c.extraEur)}`).join(', ') || 'none'} |`;
    }));
});
