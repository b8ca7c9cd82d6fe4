import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/** The repository's root. */
export const ROOT = join(__dirname, '..', '..');

/** Runs `bench/<script>` with tsx, as its npm script does, its figures to `figuresFile`. */
export function runBench(script: string, args: readonly string[], figuresFile: string, timeoutMs = 60_000): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(join(ROOT, 'node_modules', '.bin', 'tsx'), [join('bench', script), ...args], {
    cwd: ROOT, encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, HS_FIGURES_FILE: figuresFile, CHECKPOINT_DISABLE: '1' },
  });
  return { status: r.status, stdout: r.stdout ?? '', stderr: `${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}
