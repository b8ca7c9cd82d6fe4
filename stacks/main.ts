/**
 * The cdktf app (`cdktf.json`): synthesizes every case-study stack into cdktf.out/stacks/<name>/,
 * with each host's configs under configs/<host>/ for review.
 */
import { HostingApp } from '../lib';
import { buildAllStacks } from './all';

process.env.CHECKPOINT_DISABLE = '1';
const app = new HostingApp();
buildAllStacks(app);
app.synth();
