/**
 * Sends each rendered host file of a stack to its real daemon's own check, chosen by the file's
 * `daemon` tag and path. A tagged file with no known check fails: every daemon config is checked.
 */
import { basename } from 'node:path';
import { ConfigSyntax, RenderedHostFile } from '../../lib';
import { KEEPALIVED_NIC_INCLUDE } from '../../lib/compute/nic-resolution';
import { checkApache, checkHaproxyWithTestCertificate, checkKeepalived, checkMariadb, checkNftables, checkPhp, CheckResult, checkSystemdUnit, checkSysusers, checkXml, requireBinary, run, scratch, withNetns } from './daemons';
import { checkApacheWithTestCertificate, checkNfsExports, checkNginx, checkNginxWithTestCertificate } from './daemons';
import { checkPhpFpmMain, checkPhpFpmPool, checkPhpIni, checkRedis } from './daemons';
import { checkWireguard } from './daemons';
import { checkSystemdDropIn } from './daemons';
import { checkOpenstackClouds } from './daemons';
import { checkAlertmanager, checkBlackbox, checkPrometheusConfig, checkPrometheusRules, checkPython } from './daemons';
import { checkMemcached, checkSshd } from './daemons';

/** A WireGuard private key (`wg genkey`) standing in for the `wireguard_private_key` variable in checks. */
const WIREGUARD_CHECK_KEY = 'cEbfYsbLc4Mr1q0bgHPJKgZ6YpPpr5kOmhZn1Zd8iVA=';

/** `bash -n` on a shell file (scripts, /etc/default files). */
export function checkShell(content: string): CheckResult {
  const s = scratch('sh');
  try {
    return run(['bash', '-n', s.write('file.sh', content)]);
  } finally {
    s.cleanup();
  }
}

/** `sysctl -p` inside a fresh network namespace (net.* keys are per namespace; others are only checked to exist). */
export function checkSysctl(content: string): CheckResult {
  requireBinary('sysctl');
  const s = scratch('sysctl');
  try {
    const file = s.write('99-test.conf', content);
    return withNetns(['eth0'], (ns) => run(['ip', 'netns', 'exec', ns, 'sysctl', '-p', file]));
  } finally {
    s.cleanup();
  }
}

/**
 * Terraform expressions shown in review files (`${var.x}`, `${replace(var.x, "&", "&amp;")}`)
 * replaced by a plain literal for the daemon check; braces and quoted strings inside are skipped.
 */
export function withoutReferences(content: string): string {
  let out = '';
  let i = 0;
  while (i < content.length) {
    if (content.startsWith('${', i)) {
      let depth = 0;
      let j = i + 1;
      let quoted = false;
      for (; j < content.length; j++) {
        const c = content[j];
        if (quoted) {
          if (c === '\\') j++;
          else if (c === '"') quoted = false;
        } else if (c === '"') quoted = true;
        else if (c === '{') depth++;
        else if (c === '}' && --depth === 0) break;
      }
      out += 'Check-Only-Value-1';
      i = j + 1;
    } else {
      out += content[i++];
    }
  }
  return out;
}

/**
 * An nginx.conf with its production run-time paths (pid, error and access logs, `*_temp_path`, `proxy_cache_path`)
 * moved into the check's scratch prefix (`@SCRATCH@`, see checkNginx); everything else unchanged.
 */
export function nginxForCheck(content: string): string {
  return content
    .replace(/^(\s*pid\s+)\S+;/m, '$1@SCRATCH@/nginx.pid;')
    .replace(/^(\s*(?:error_log|access_log)\s+)\/(?!dev\/)\S*\/([^/\s;]+)/gm, '$1@SCRATCH@/$2')
    .replace(/^(\s*(?:client_body|proxy|fastcgi|uwsgi|scgi)_temp_path\s+)\S*\/([^/\s;]+)/gm, '$1@SCRATCH@/$2')
    // A response cache's folder too: nginx -t creates it.
    .replace(/^(\s*proxy_cache_path\s+)\/\S*\/([^/\s;]+)/gm, '$1@SCRATCH@/$2');
}

/**
 * Results of the checks run in this test file, by syntax, path and content. A check's result
 * depends on nothing else (a systemd unit's on its file name, kept in the path), so a file rendered
 * alike on many hosts (ten front-ends, three variants of a stack) runs its daemon once.
 */
const checked = new Map<string, CheckResult | undefined>();

/** The real check of one host file, or undefined when the file is data, not a config. */
export function checkHostFile(file: RenderedHostFile): CheckResult | undefined {
  const key = `${file.syntax ?? ''}\0${file.path}\0${file.content}`;
  if (!checked.has(key)) checked.set(key, runHostFileCheck(file));
  return checked.get(key);
}

function runHostFileCheck(file: RenderedHostFile): CheckResult | undefined {
  const content = withoutReferences(file.content);
  switch (file.syntax) {
    case undefined:
      return undefined;
    case ConfigSyntax.APACHE:
      // The runtime directory is made by Debian's apache2ctl at start; point the check at its scratch dir.
      // A DocumentRoot must exist for apache2 -t; on the host the package or cloud-init creates it.
    {
      const moved = content.replace(/^DefaultRuntimeDir\s+.*$/m, 'DefaultRuntimeDir "@SCRATCH@"').replace(/^DocumentRoot\s+.*$/m, 'DocumentRoot "@SCRATCH@/document-root"');
      // Certificates come from sensitive variables at boot: the check uses a throw-away pair.
      return /^\s*SSLCertificateFile\s/m.test(moved)
        ? checkApacheWithTestCertificate(moved, { 'document-root/.keep': '' })
        : checkApache(moved, { 'document-root/.keep': '' });
    }
    case ConfigSyntax.KEEPALIVED: {
      // `interface $NIC` is defined at boot by the include the NIC unit writes; the check gives it ens3,
      // the name on OVHcloud's Debian 12 image.
      if (content.includes(`include ${KEEPALIVED_NIC_INCLUDE}`)) return checkKeepalived(content, ['ens3'], { [KEEPALIVED_NIC_INCLUDE]: '$NIC=ens3\n' });
      return checkKeepalived(content, [/^\s*interface\s+(\S+)/m.exec(content)?.[1] ?? 'ens3']);
    }
    case ConfigSyntax.NFTABLES:
      return checkNftables(content);
    case ConfigSyntax.MARIADB:
      return checkMariadb(content);
    case ConfigSyntax.SYSTEMD_UNIT: {
      // A drop-in (`/etc/systemd/system/mariadb.service.d/x.conf`) is checked on the unit it extends.
      const dropIn = /\/([^/]+)\.d\/([^/]+\.conf)$/.exec(file.path);
      return dropIn ? checkSystemdDropIn(content, dropIn[1], dropIn[2]) : checkSystemdUnit(content, basename(file.path));
    }
    case ConfigSyntax.SYSCTL:
      return checkSysctl(content);
    case ConfigSyntax.SYSUSERS:
      return checkSysusers(content);
    case ConfigSyntax.XML:
      return checkXml(content);
    case ConfigSyntax.NGINX: {
      // TLS material comes from sensitive variables at boot: check with a throw-away certificate.
      // A listen on a VIP is bound as on its node, with ip_nonlocal_bind; a unix socket moves to the scratch folder.
      const options = { nonlocalBind: /^\s*listen\s+(?!127\.)\d+\.\d+\.\d+\.\d+:/m.test(content) };
      const moved = nginxForCheck(content).replace(/^(\s*listen\s+unix:)\/\S*\/([^/\s;]+);/gm, '$1@SCRATCH@/$2;');
      return /^\s*ssl_certificate\s/m.test(content) ? checkNginxWithTestCertificate(moved, {}, options) : checkNginx(moved, {}, options);
    }
    case ConfigSyntax.NFS_EXPORTS:
      return checkNfsExports(content);
    case ConfigSyntax.SHELL:
      return checkShell(content);
    case ConfigSyntax.OPENSTACK_CLOUDS:
      return checkOpenstackClouds(content);
    case ConfigSyntax.HAPROXY:
      // A TLS bind names a certificate that cloud-init writes at boot: the check supplies a test one.
      return checkHaproxyWithTestCertificate(content);
    case ConfigSyntax.REDIS:
      // Started with port 0 on a scratch socket; includes of other host files are dropped (each is checked on its own).
      return checkRedis(content);
    case ConfigSyntax.PHP_INI:
      return checkPhpIni(content);
    case ConfigSyntax.PHP_FPM:
      // A main php-fpm.conf ([global]) is checked with a stub pool; a pool file inside a minimal main config.
      return /^\s*\[global\]/m.test(content) ? checkPhpFpmMain(content) : checkPhpFpmPool(content);
    case ConfigSyntax.WIREGUARD:
      // The private key is a sensitive variable: a valid stand-in key takes its place for the parser.
      return checkWireguard(content.replace(/^(\s*PrivateKey\s*=\s*)Check-Only-Value-1\s*$/m, `$1${WIREGUARD_CHECK_KEY}`), basename(file.path));
    case ConfigSyntax.PROMETHEUS_RULES:
      return checkPrometheusRules(content);
    case ConfigSyntax.PROMETHEUS_CONFIG:
      // The rule files it names are other host files, checked on their own: empty stand-ins here.
      return checkPrometheusConfig(content);
    case ConfigSyntax.ALERTMANAGER:
      return checkAlertmanager(content);
    case ConfigSyntax.BLACKBOX:
      return checkBlackbox(content);
    case ConfigSyntax.PYTHON:
      return checkPython(content);
    case ConfigSyntax.PHP:
      return checkPhp(content);
    case ConfigSyntax.SSHD:
      return checkSshd(content);
    case ConfigSyntax.MEMCACHED:
      return checkMemcached(content);
    default:
      return { ok: false, output: `no check known for syntax '${file.syntax}' (${file.host}:${file.path}); add one to __tests__/support/config-checks.ts` };
  }
}
