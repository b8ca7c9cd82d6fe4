import { renderSolrCreateCoreScript, renderSolrInSh, renderSolrInstallScript, solrHeapMbForRam } from '../../lib/search/solr-config';
import { checkShell } from '../support/config-checks';
import { run, scratch } from '../support/daemons';

const IN_SH = renderSolrInSh({ hostname: 'solr-1', varDir: '/var/solr', heapMb: 4096, ramMb: 8192, address: '10.0.4.5', port: 8983, allowList: ['127.0.0.1', '10.0.4.5', '10.0.2.10', '10.0.5.0/24'] });

/** The values bash sees after sourcing the file. */
function sourced(content: string, names: string[]): Record<string, string> {
  const s = scratch('solr-in');
  try {
    const file = s.write('solr.in.sh', content);
    const r = run(['bash', '-c', `set -eu; . "$1"; ${names.map((n) => `printf '%s=%s\\n' ${n} "$${n}"`).join('; ')}`, 'x', file]);
    if (!r.ok) throw new Error(r.output);
    return Object.fromEntries(r.output.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  } finally {
    s.cleanup();
  }
}

describe('solrHeapMbForRam', () => {
  test.each([
    [2, 1024],
    [4, 2048],
    [8, 4096],
    [128, 31744],
    [1, undefined],
    [1.25, undefined],
  ])('given %s GB of RAM, then the heap is %s MB', (ram, heap) => {
    expect(solrHeapMbForRam(ram)).toBe(heap);
  });
});

describe('renderSolrInSh', () => {
  test('when sourced by bash, then Solr sees the heap, bind address, port and allow-list', () => {
    expect(sourced(IN_SH, ['SOLR_HEAP', 'SOLR_JETTY_HOST', 'SOLR_HOST', 'SOLR_PORT', 'SOLR_IP_ALLOWLIST', 'SOLR_HOME', 'SOLR_PID_DIR', 'LOG4J_PROPS', 'SOLR_LOGS_DIR'])).toEqual({
      SOLR_HEAP: '4096m',
      SOLR_JETTY_HOST: '10.0.4.5',
      SOLR_HOST: '10.0.4.5',
      SOLR_PORT: '8983',
      SOLR_IP_ALLOWLIST: '127.0.0.1, 10.0.4.5, 10.0.2.10, 10.0.5.0/24',
      SOLR_HOME: '/var/solr/data',
      SOLR_PID_DIR: '/var/solr',
      LOG4J_PROPS: '/var/solr/log4j2.xml',
      SOLR_LOGS_DIR: '/var/solr/logs',
    });
  });

  test('when checked by bash -n, then it parses; a broken file does not', () => {
    expect(checkShell(IN_SH).ok).toBe(true);
    expect(checkShell('SOLR_HEAP="4096m\n').ok).toBe(false);
  });
});

describe('the Solr scripts', () => {
  const common = { varDir: '/var/solr', user: 'solr', serviceName: 'solr', installParent: '/opt', port: 8983 };
  const install = renderSolrInstallScript({
    ...common, version: '9.6.1', sha512: 'a'.repeat(128), downloadUrl: 'https://archive.apache.org/dist/solr/solr/9.6.1/solr-9.6.1.tgz', workDir: '/var/cache/solr-install',
  });
  const create = renderSolrCreateCoreScript({ ...common, coreName: 'magento', address: '10.0.4.5', waitSeconds: 300 });

  test('given a version and checksum, then the install script checks the archive before running Solr\'s installer without starting it', () => {
    const lines = install.split('\n');
    const check = lines.findIndex((l) => l.includes('sha512sum --check --strict'));
    const installer = lines.findIndex((l) => l.startsWith("bash '/var/cache/solr-install/install_solr_service.sh'"));
    expect(lines[check]).toBe(`echo '${'a'.repeat(128)}  /var/cache/solr-install/solr-9.6.1.tgz' | sha512sum --check --strict --quiet -`);
    expect(check).toBeGreaterThan(0);
    expect(installer).toBeGreaterThan(check);
    expect(lines[installer]).toBe(`bash '/var/cache/solr-install/install_solr_service.sh' "$ARCHIVE" -i '/opt' -d '/var/solr' -u 'solr' -s 'solr' -p '8983' -n`);
    expect(install).toContain("'https://archive.apache.org/dist/solr/solr/9.6.1/solr-9.6.1.tgz'");
    expect(install.startsWith('#!/bin/bash\n')).toBe(true);
    expect(install).toContain('set -euo pipefail');
  });

  test('given a core name, then the script waits for Solr and creates the core as the solr user with the include file', () => {
    expect(create).toContain("until curl --silent --fail --output /dev/null 'http://10.0.4.5:8983/solr/admin/info/system'; do");
    expect(create).toContain("runuser -u 'solr' -- env SOLR_INCLUDE='/etc/default/solr.in.sh' '/opt/solr/bin/solr' create -c 'magento'");
    expect(create).toContain("if [ -e '/var/solr/data/magento/core.properties' ]; then");
  });

  test('when checked by bash -n, then both scripts parse', () => {
    for (const script of [install, create]) {
      const r = checkShell(script);
      expect(r.output).toBe('');
      expect(r.ok).toBe(true);
    }
  });
});
