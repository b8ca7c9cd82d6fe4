import { requireBinary, run, scratch } from '../support/daemons';

/** The `[mysqld]` options of a rendered option file, as name -> value. */
export function mysqldOptions(cnf: string): Record<string, string> {
  const options: Record<string, string> = {};
  let group = '';
  for (const raw of cnf.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      group = header[1];
      continue;
    }
    if (group !== 'mysqld') continue;
    const [name, ...rest] = line.split('=');
    options[name.trim()] = rest.join('=').trim();
  }
  return options;
}

/** `bash -n` and `sh -n` (dash) on a script. */
export function checkShellSyntax(script: string): { ok: boolean; output: string } {
  requireBinary('bash');
  requireBinary('dash');
  const s = scratch('sh');
  try {
    const file = s.write('script.sh', script);
    const bash = run(['bash', '-n', file]);
    const dash = run(['sh', '-n', file]);
    return { ok: bash.ok && dash.ok, output: bash.output + dash.output };
  } finally {
    s.cleanup();
  }
}
