#!/usr/bin/env node
/**
 * hosting-stacks-rollout: replaces, one server at a time, the servers of a deployed stack whose
 * configuration changed. Usage in {@link USAGE}.
 */
import { RolloutError, runRollout } from './rollout';

const USAGE = `usage: hosting-stacks-rollout STACK_DIR [--dry-run] [--only HOST]... [--force HOST]...
                              [--ready-timeout-minutes N] [-- TERRAFORM_APPLY_ARGS...]

Replaces, one at a time, the servers of the synthesized stack STACK_DIR (cdktf.out/stacks/<stack>)
whose configuration changed since they were created, each from its own boot volume, and waits for
each to print that its new configuration is ready before the next. Run 'terraform apply' first.
Needs terraform and the openstack client on PATH, and the OS_* variables.

  --dry-run                 say which servers would be replaced, in which order
  --only HOST               replace only this server (repeatable)
  --force HOST              replace this server even if its configuration did not change (a new
                            secret value): repeatable
  --ready-timeout-minutes N how long a server may take to be ready (default 30)
  -- ARGS                   passed to each 'terraform apply' (e.g. -var-file=campaign.tfvars.json)`;

export async function main(argv: readonly string[]): Promise<number> {
  const args = [...argv];
  const split = args.indexOf('--');
  const applyArgs = split >= 0 ? args.splice(split).slice(1) : [];
  let stackDir: string | undefined;
  let dryRun = false;
  let readyTimeoutMinutes: number | undefined;
  const only: string[] = [];
  const force: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const value = (): string => {
      const v = args[++i];
      if (v === undefined || v.startsWith('--')) throw new RolloutError(`${a} needs a value\n${USAGE}`);
      return v;
    };
    if (a === '--dry-run') dryRun = true;
    else if (a === '--only') only.push(value());
    else if (a === '--force') force.push(value());
    else if (a === '--ready-timeout-minutes') {
      const v = value();
      readyTimeoutMinutes = Number(v);
      if (!Number.isFinite(readyTimeoutMinutes) || readyTimeoutMinutes <= 0) throw new RolloutError(`--ready-timeout-minutes (${v}) must be a number greater than 0`);
    } else if (a === '--help' || a === '-h') {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    } else if (a.startsWith('-') || stackDir !== undefined) throw new RolloutError(`unexpected argument '${a}'\n${USAGE}`);
    else stackDir = a;
  }
  if (stackDir === undefined) throw new RolloutError(USAGE);
  const result = await runRollout({ stackDir, dryRun, only, force, applyArgs, readyTimeoutMinutes });
  return result.failed ? 1 : 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: Error) => {
      process.stderr.write(`hosting-stacks-rollout: ${e instanceof RolloutError ? e.message : e.stack ?? e.message}\n`);
      process.exit(2);
    },
  );
}
