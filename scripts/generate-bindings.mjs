#!/usr/bin/env node
// Generates the OpenStack provider bindings into .gen/ from the provider schema kept in this repo
// (provider/openstack-provider-schema.json, terraform-provider-openstack 3.4.0). No terraform binary
// and no registry download are needed. The output is generated code: never edit it by hand.
// It is skipped when .gen/ already matches the schema's hash, so every npm script can call it.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync, rmSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

process.env.CHECKPOINT_DISABLE = '1'; // @cdktf/commons phones home for telemetry otherwise

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const schemaPath = join(root, 'provider', 'openstack-provider-schema.json');
const outDir = join(root, '.gen');
const stampPath = join(outDir, '.schema-sha256');
const schemaText = readFileSync(schemaPath, 'utf8');
const hash = createHash('sha256').update(schemaText).update('constraint ~> 3.4').digest('hex');

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
writeFileSync(stampPath, hash + '\n');
console.log(`generated OpenStack provider bindings in .gen/ from ${fqpn}`);
