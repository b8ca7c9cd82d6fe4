import { Testing } from 'cdktf';
import { Flavor } from '../../lib/compute/flavor';
import { ServerCluster } from '../../lib/compute/server-cluster';
import { Peer } from '../../lib/core/connections';
import { Port } from '../../lib/core/port';
import { PrivateVSwitch } from '../../lib/network/private-vswitch';
import { DEFAULT_SOLR_SHA512, SolrServer } from '../../lib/search/solr-server';
import { HostingStack } from '../../lib/stack/hosting-stack';
import { checkProviderSchema, loadOpenstackProviderSchema } from '../../lib/validation/provider-schema-check';
import { checkTerraformTemplates } from '../../lib/validation/terraform-template-check';
import { checkHostFile } from '../support/config-checks';

function setup() {
  const stack = new HostingStack(Testing.app(), 'test');
  const data = new PrivateVSwitch(stack, 'Data', { cidr: '10.0.4.0/24' });
  const front = new PrivateVSwitch(stack, 'Front', { cidr: '10.0.2.0/24' });
  const web = new ServerCluster(stack, 'Web', { vswitch: front, count: 2, flavor: Flavor.named('b3-8') });
  return { stack, data, front, web };
}

function fileOf(stack: HostingStack, path: string) {
  return stack.renderHostFiles().find((f) => f.host === 'solr-1' && f.path === path)!;
}

describe('SolrServer', () => {
  test('given the required props, then one stateful server, core magento, Solr 9.6.1 pinned, heap half the RAM and nothing open', () => {
    const { stack, data } = setup();
    const solr = new SolrServer(stack, 'Solr', { vswitch: data, flavor: Flavor.named('b3-8') });
    expect(solr.cluster.instances).toHaveLength(1);
    expect(solr.cluster.stateful).toBe(true);
    expect(solr.address).toBe(solr.cluster.instances[0].address);
    expect(solr.port).toBe(8983);
    expect(solr.coreName).toBe('magento');
    expect(solr.version).toBe('9.6.1');
    expect(solr.sha512).toBe(DEFAULT_SOLR_SHA512);
    expect(solr.downloadUrl).toBe('https://archive.apache.org/dist/solr/solr/9.6.1/solr-9.6.1.tgz');
    expect(solr.heapMb).toBe(4096);
    expect(solr.connections.ingressRules).toEqual([]);
    expect(solr.allowList).toEqual(['127.0.0.1', solr.address]);
    const cc = solr.cluster.instances[0].cloudConfig;
    expect(cc.packages).toEqual(['ca-certificates', 'curl', 'lsof', 'nftables', 'openjdk-17-jre-headless']);
    expect(cc.services).toEqual(['hosting-stacks-metadata-guard.service', 'solr']);
    const doc = cc.render();
    expect(doc.indexOf('- - /usr/local/sbin/solr-install.sh')).toBeLessThan(doc.indexOf('- - systemctl\n    - restart\n    - solr'));
    expect(doc.indexOf('- - /usr/local/sbin/solr-create-core.sh')).toBeGreaterThan(doc.indexOf('- - systemctl\n    - restart\n    - solr'));
  });

  test('when clients are allowed, then SOLR_IP_ALLOWLIST holds exactly loopback, the server and their addresses', () => {
    const { stack, data, web } = setup();
    const solr = new SolrServer(stack, 'Solr', { vswitch: data, flavor: Flavor.named('b3-8'), coreName: 'md_es' });
    solr.connections.allowFrom(web, Port.tcp(solr.port));
    solr.connections.allowFrom(Peer.ipv4('10.0.9.0/24'), Port.tcp(solr.port));
    const text = fileOf(stack, '/etc/default/solr.in.sh').content;
    expect(text).toMatch(new RegExp(`^SOLR_IP_ALLOWLIST="127\\.0\\.0\\.1, ${solr.address.replace(/\./g, '\\.')}, ${web.addresses.join(', ').replace(/\./g, '\\.')}, 10\\.0\\.9\\.0/24"$`, 'm'));
    expect(text).toMatch(new RegExp(`^SOLR_JETTY_HOST="${solr.address.replace(/\./g, '\\.')}"$`, 'm'));
    expect(text).toMatch(/^SOLR_HEAP="4096m"$/m);
    expect(fileOf(stack, '/usr/local/sbin/solr-create-core.sh').content).toContain("create -c 'md_es'");
  });

  test('when synthesized, then every shell file passes bash -n, the schema conforms and the templates are valid', () => {
    const { stack, data, web } = setup();
    const solr = new SolrServer(stack, 'Solr', { vswitch: data, flavor: Flavor.named('c3-4') });
    solr.connections.allowFrom(web, Port.tcp(solr.port));
    const files = stack.renderHostFiles().filter((f) => f.host === 'solr-1');
    expect(files.map((f) => [f.path, f.syntax])).toEqual([
      ['/etc/default/solr.in.sh', 'shell'],
      ['/etc/hosting-stacks/metadata-guard.nft', 'nftables'],
      ['/etc/systemd/system/hosting-stacks-metadata-guard.service', 'systemd'],
      ['/usr/local/sbin/solr-create-core.sh', 'shell'],
      ['/usr/local/sbin/solr-install.sh', 'shell'],
    ]);
    for (const f of files) expect(checkHostFile(f)!.ok).toBe(true);
    const json = JSON.parse(Testing.synth(stack));
    expect(checkProviderSchema(json, loadOpenstackProviderSchema())).toEqual([]);
    expect(checkTerraformTemplates(json)).toEqual([]);
    expect(solr.node.validate()).toEqual([]);
  });

  test('given another version with its checksum and a heap, then they are used', () => {
    const { stack, data } = setup();
    const sha = 'ab'.repeat(64);
    const solr = new SolrServer(stack, 'Solr', { vswitch: data, flavor: Flavor.named('b3-8'), version: '9.7.0', sha512: sha.toUpperCase(), heapMb: 2048 });
    expect(solr.sha512).toBe(sha);
    expect(solr.heapMb).toBe(2048);
    expect(fileOf(stack, '/usr/local/sbin/solr-install.sh').content).toContain(`echo '${sha}  /var/cache/solr-install/solr-9.7.0.tgz' | sha512sum`);
  });

  test('given a mirror of the archive, then the server downloads it there and checks it all the same', () => {
    const { stack, data } = setup();
    const url = 'https://mirror.example.net/solr/solr-9.6.1.tgz';
    const solr = new SolrServer(stack, 'Solr', { vswitch: data, flavor: Flavor.named('b3-8'), tarballUrl: url });
    expect(solr.downloadUrl).toBe(url);
    const install = fileOf(stack, '/usr/local/sbin/solr-install.sh').content;
    expect(install).toContain(`'${url}'`);
    expect(install).not.toContain('archive.apache.org');
    expect(install).toContain(`echo '${DEFAULT_SOLR_SHA512}  /var/cache/solr-install/solr-9.6.1.tgz' | sha512sum`);
  });

  test('given Solr opened to the internet, then validation refuses it', () => {
    const { stack, data } = setup();
    const solr = new SolrServer(stack, 'Solr', { vswitch: data, flavor: Flavor.named('b3-8') });
    solr.connections.allowFromInternet(Port.tcp(8983), 'by mistake');
    expect(solr.node.validate()).toEqual([expect.stringMatching(/test\/Solr: Solr is opened to the internet/)]);
  });

  test.each([
    ['a bad core name', { coreName: 'my core' }, /'coreName' \('my core'\) must be letters/],
    ['Solr 8', { version: '8.11.3', sha512: 'a'.repeat(128) }, /'version' \('8\.11\.3'\) must be a Solr 9 release/],
    ['a version without checksum', { version: '9.7.0' }, /'sha512' \(undefined\) is required with 'version' \(9\.7\.0\)/],
    ['a short checksum', { sha512: 'abc' }, /'sha512' \('abc'\) must be 128 hexadecimal digits/],
    ['a mirror that is not an HTTP URL', { tarballUrl: "ftp://mirror/solr.tgz'; rm -rf /" }, /test\/Solr: 'tarballUrl' \('ftp:\/\/mirror\/solr\.tgz'; rm -rf \/'\) must be an http\(s\) URL/],
    ['a heap above the RAM less 1 GB', { heapMb: 7500 }, /'heapMb' \(7500\) must be an integer from 512 to 7168/],
    ['a small flavor', { flavor: Flavor.custom({ name: 'tiny', vcpus: 1, ramGb: 1, diskGb: 10 }) }, /'flavor' \('tiny'\) has 1 GB of RAM: Solr needs 512 MB/],
  ])('given %s, then it throws', (_name, props, message) => {
    const { stack, data } = setup();
    expect(() => new SolrServer(stack, 'Solr', { vswitch: data, flavor: Flavor.named('b3-8'), ...props })).toThrow(message);
  });
});
