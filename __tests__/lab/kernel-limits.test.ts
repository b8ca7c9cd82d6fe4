/**
 * What the lab does differently on a server because of its kernel, and the downloads it stands in
 * for, read from the server's user_data.
 */
import { stringify } from 'yaml';
import { gzipSync } from 'node:zlib';
import { downloadsOf, hostOf, LabServerModel, parseVirtualServers, serverLimits, writtenFiles } from '../../lib/lab';

function server(files: Record<string, string>): LabServerModel {
  const userData = `#cloud-config\n${stringify({ write_files: Object.entries(files).map(([path, content]) => ({ path, content })) })}`;
  return { key: 'openstack_compute_instance_v2.X', name: 'x-1', portKeys: [], userData };
}

const KEEPALIVED = `vrrp_instance VI_1 {
    interface $NIC
}

virtual_server 10.0.1.4 80 {
    lvs_sched wlc

    real_server 10.0.1.2 80 {
        weight 1
        HTTP_GET {
            url {
                path /healthz
            }
        }
    }

    real_server 10.0.1.3 80 {
        weight 1
    }
}
`;

describe('kernel limits', () => {
  test('given keepalived with an IPVS virtual server, then the lab runs its VRRP half and knows the real servers', () => {
    const lim = serverLimits(server({ '/etc/keepalived/keepalived.conf': KEEPALIVED }));
    expect(lim.adaptations.map((a) => a.path)).toEqual(['/etc/systemd/system/keepalived.service.d/lab-no-ipvs.conf']);
    expect(lim.adaptations[0].content).toMatch(/^ExecStart=\/usr\/sbin\/keepalived --dont-fork --vrrp \$DAEMON_ARGS$/m);
    expect(lim.ipvsServices).toEqual([{ address: '10.0.1.4', port: 80, realServers: [{ address: '10.0.1.2', port: 80 }, { address: '10.0.1.3', port: 80 }] }]);
  });

  test('given keepalived without virtual servers (haproxy pair), then nothing is adapted', () => {
    expect(serverLimits(server({ '/etc/keepalived/keepalived.conf': 'vrrp_instance VI_1 {\n}\n' })).adaptations).toEqual([]);
    expect(parseVirtualServers('vrrp_instance VI_1 {\n}\n')).toEqual([]);
  });

  test('given an NFS automount, then its units and the rpc_pipefs mount of nfs-common are known limits of the kernel', () => {
    const lim = serverLimits(server({
      '/etc/systemd/system/var-www-media.mount': '[Mount]\nWhat=10.0.0.5:/media\nWhere=/var/www/media\nType=nfs4\n',
      '/etc/systemd/system/var-www-media.automount': '[Automount]\nWhere=/var/www/media\n',
    }));
    expect(lim.unitLimits.map((u) => u.unit).sort()).toEqual(['run-rpc_pipefs.mount', 'var-www-media.automount', 'var-www-media.mount']);
  });
});

describe('files a user_data writes', () => {
  test('given plain, base64 and gzip+base64 contents, then each is read as the server gets it', () => {
    const text = 'global_defs {\n  router_id lab\n}\n';
    const userData = `#cloud-config\n${stringify({ write_files: [
      { path: '/etc/plain', content: text },
      { path: '/etc/b64', encoding: 'b64', content: Buffer.from(text).toString('base64') },
      { path: '/etc/gz', encoding: 'gz+b64', content: gzipSync(Buffer.from(text)).toString('base64') },
    ] })}`;
    const files = writtenFiles(userData);
    expect([files.get('/etc/plain'), files.get('/etc/b64'), files.get('/etc/gz')]).toEqual([text, text, text]);
  });
});

describe('downloads from outside the Debian archive', () => {
  test('given scripts that fetch release tarballs, then their URLs are found, comments, addresses and localhost left out', () => {
    const s = server({
      '/usr/local/sbin/install': [
        '#!/bin/sh',
        '# see https://docs.example.org/install for curl options',
        "fetch_verified 'https://download.jboss.org/wildfly/27.0.1.Final/wildfly-27.0.1.Final.tar.gz' 'abc' \"$T\"",
        "curl --fail --output a 'https://archive.apache.org/dist/solr/solr/9.6.1/solr-9.6.1.tgz'",
        "until curl --silent 'http://10.30.2.5:8983/solr/admin/info/system'; do sleep 1; done",
        'script "/usr/bin/curl -fsS --unix-socket /run/health.sock http://localhost/hosting-stacks-health"',
      ].join('\n'),
    });
    expect(downloadsOf(s)).toEqual([
      'https://download.jboss.org/wildfly/27.0.1.Final/wildfly-27.0.1.Final.tar.gz',
      'https://archive.apache.org/dist/solr/solr/9.6.1/solr-9.6.1.tgz',
    ]);
    expect(downloadsOf(s).map(hostOf)).toEqual(['download.jboss.org', 'archive.apache.org']);
  });
});
