/**
 * The cdktf app (`cdktf.json`): synthesizes every case-study stack into cdktf.out/stacks/<name>/,
 * with each host's configs under configs/<host>/ for review, then prints each stack's monthly cost
 * at its baseline and each campaign's extra (the details are in cost.md next to its Terraform), and
 * each stack's modelled availability and single points of failure (ARCHITECTURE.md).
 */
import { HostingApp } from '../lib';
import { renderArchitectureSummary, renderCostSummary } from '../lib/renderers';
import { buildAllStacks } from './all';

process.env.CHECKPOINT_DISABLE = '1';
const app = new HostingApp();
const stacks = buildAllStacks(app);
app.synth();
process.stdout.write(renderCostSummary(stacks.map((s) => s.cost)));
process.stdout.write(renderArchitectureSummary(stacks.map((s) => ({ stack: s.node.id, assessment: s.architecture.assessment, reported: s.reportedAvailability }))));
