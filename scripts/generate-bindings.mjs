#!/usr/bin/env node
// Generates the OpenStack provider bindings into .gen/ from the provider schema kept in this repo
// (provider/openstack-provider-schema.json, terraform-provider-openstack 3.4.0). No terraform binary
// and no registry download are needed. The output is generated code: never edit it by hand.
// It is skipped when .gen/ already matches the schema's hash, so every npm script can call it.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync, rmSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

process.env.CHECKPOINT_DISABLE = '1'; // @cdktf/commons phones home for telemetry otherwise
// The generator asks terraform (when installed) for its version; a TF_CLI_CONFIG_FILE naming a file
// that does not exist makes it print an error-looking warning for nothing.
if (process.env.TF_CLI_CONFIG_FILE && !existsSync(process.env.TF_CLI_CONFIG_FILE)) process.env.TF_CLI_CONFIG_FILE = '/dev/null';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const schemaPath = join(root, 'provider', 'openstack-provider-schema.json');
const outDir = join(root, '.gen');
const stampPath = join(outDir, '.schema-sha256');
const schemaText = readFileSync(schemaPath, 'utf8');
// The post-processing below is part of what is generated: a change to it must regenerate.
const POST_PROCESSING = 'lazy-blocks-v1';
const hash = createHash('sha256').update(schemaText).update('constraint ~> 3.4').update(POST_PROCESSING).digest('hex');

if (existsSync(stampPath) && readFileSync(stampPath, 'utf8').trim() === hash && !process.argv.includes('--force')) {
  process.exit(0);
}

const require = createRequire(import.meta.url);
const { TerraformProviderGenerator } = require('@cdktf/provider-generator');
const { CodeMaker } = require('codemaker');
const { ConstructsMakerProviderTarget, TerraformProviderConstraint, Language } = require('@cdktf/commons');

const schema = JSON.parse(schemaText);
const fqpn = Object.keys(schema.provider_schemas)[0];
const constraint = new TerraformProviderConstraint({
  name: 'openstack',
  source: 'terraform-provider-openstack/openstack',
  version: '~> 3.4',
});
const target = new ConstructsMakerProviderTarget(constraint, Language.TYPESCRIPT);
const code = new CodeMaker();
const generator = new TerraformProviderGenerator(code, schema);
// emitProvider is the only entry point that takes an explicit source and version constraint
// (the public generate() only matches schema keys on the default registry host).
generator.emitProvider(fqpn, undefined, target);
rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
await code.save(outDir);
let lazy = 0;
for (const file of listFiles(outDir).filter((f) => f.endsWith('.ts'))) {
  const before = readFileSync(file, 'utf8');
  const { text, count } = lazyBlocks(before);
  if (count) writeFileSync(file, text);
  lazy += count;
}
writeFileSync(stampPath, hash + '\n');
console.log(`generated OpenStack provider bindings in .gen/ from ${fqpn} (${lazy} block attributes made on first use)`);

function listFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listFiles(join(dir, e.name)) : [join(dir, e.name)]));
}

/**
 * The generated resource and data source classes make an object for every block and map attribute
 * in their constructor (a port has seven), and cdktf records a stack trace for each: at hundreds of
 * servers that is most of the synth. Here each is made on first use instead: the constructor sets
 * only the blocks the config gives, and synthesis reads an attribute never made as unset, which is
 * what a fresh one holds. The JSON synthesized is the same (the stacks' snapshots prove it).
 */
function lazyBlocks(source) {
  const start = source.search(/^export class \w+ extends cdktf\.(TerraformResource|TerraformDataSource) \{$/m);
  if (start < 0) return { text: source, count: 0 };
  let body = source.slice(start);
  const fields = [...body.matchAll(/^  private _(\w+) = new ([\w.]+)\((this, "[^"]+"(?:, (?:true|false))?)\);$/gm)];
  for (const [line, name, type, args] of fields) {
    body = body.replace(line, `  private __${name}?: ${type};\n  private get _${name}(): ${type} {\n    return this.__${name} ??= new ${type}(${args});\n  }`);
    body = body.replace(`    this._${name}.internalValue = config.${name};`, `    if (config.${name} !== undefined) { this._${name}.internalValue = config.${name}; }`);
    body = body.replace(new RegExp(`this\\._${name}\\.internalValue(?! =)`, 'g'), `this.__${name}?.internalValue`);
  }
  return { text: source.slice(0, start) + body, count: fields.length };
}
