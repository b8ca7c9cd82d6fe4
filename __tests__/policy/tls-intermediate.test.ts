import { LbListenerV2 } from '../../.gen/providers/openstack/lb-listener-v2';
import { ConfigSyntax, HostingStack } from '../../lib';
import { apacheTlsEndpoints, haproxyTlsEndpoints, nginxTlsEndpoints, TLS_INTERMEDIATE_RULE, TLS_INTERMEDIATE_RULE_ID } from '../../lib/policy/rules/tls-intermediate';
import { intermediateCiphersuiteString, intermediateCipherString, MOZILLA_INTERMEDIATE_CIPHERS } from '../../lib/security/tls-policy';
import { cluster, findingsOf, zonedStack } from './fixtures';
import { runRule } from '../../lib/policy/policy-pack';

const GOOD_NGINX = `http {
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_ciphers ${intermediateCipherString()};
    server {
        listen 443 ssl;
    }
}
`;

function withFile(path: string, syntax: ConfigSyntax, content: string): HostingStack {
  const { stack, dmz } = zonedStack();
  cluster(stack, 'Edge', dmz).instances[0].cloudConfig.addFile({ path, syntax, content });
  return stack;
}

describe('TLS endpoint parsers', () => {
  test('nginx: the effective ssl_protocols and ssl_ciphers of a TLS listener', () => {
    expect(nginxTlsEndpoints(GOOD_NGINX)).toEqual([{ where: 'listen line 5 (443 ssl)', protocols: ['TLSv1.2', 'TLSv1.3'], ciphers: [...MOZILLA_INTERMEDIATE_CIPHERS] }]);
  });

  test('nginx: no TLS listener, no endpoint; unset protocols are nginx 1.22 defaults', () => {
    expect(nginxTlsEndpoints('server {\n  listen 80;\n}\n')).toEqual([]);
    expect(nginxTlsEndpoints('server {\n  listen 443 ssl;\n}\n')[0]).toEqual({ where: 'listen line 2 (443 ssl)', protocols: ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'], ciphers: undefined });
  });

  test('haproxy: global ssl-default-bind-* settings apply to a bind without its own', () => {
    const cfg = `global\n    ssl-default-bind-ciphers ${intermediateCipherString()}\n    ssl-default-bind-ciphersuites ${intermediateCiphersuiteString()}\n    ssl-default-bind-options ssl-min-ver TLSv1.2 no-tls-tickets\nfrontend www\n    bind 10.0.0.5:443 ssl crt /etc/haproxy/certs/site.pem alpn h2,http/1.1\n`;
    const [e] = haproxyTlsEndpoints(cfg);
    expect(e.protocols).toEqual(['TLSv1.2', 'TLSv1.3']);
    expect(e.ciphers).toEqual([...MOZILLA_INTERMEDIATE_CIPHERS]);
    expect(e.ciphersuites).toHaveLength(3);
  });

  test('haproxy: a bind lowering ssl-min-ver to TLSv1 offers TLSv1 and TLSv1.1', () => {
    const [e] = haproxyTlsEndpoints('frontend www\n    bind :443 ssl crt /x.pem ssl-min-ver TLSv1 ciphers ECDHE-RSA-AES128-GCM-SHA256\n');
    expect(e.protocols).toEqual(['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3']);
  });

  test('Apache: SSLProtocol arithmetic and the TLSv1.3 form of SSLCipherSuite', () => {
    const good = `SSLEngine on\nSSLProtocol -all +TLSv1.2 +TLSv1.3\nSSLCipherSuite ${intermediateCipherString()}\nSSLCipherSuite TLSv1.3 ${intermediateCiphersuiteString()}\n`;
    expect(apacheTlsEndpoints(good)[0].protocols).toEqual(['TLSv1.2', 'TLSv1.3']);
    expect(apacheTlsEndpoints(good)[0].ciphersuites).toHaveLength(3);
    expect(apacheTlsEndpoints('SSLEngine on\n')[0].protocols).toEqual(['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3']);
  });
});

describe('HS-TLS-1: TLS at least Mozilla intermediate', () => {
  test('compliant: an nginx TLS server with the intermediate settings', () => {
    expect(runRule(TLS_INTERMEDIATE_RULE, withFile('/etc/nginx/nginx.conf', ConfigSyntax.NGINX, GOOD_NGINX))).toEqual([]);
  });

  test('non-compliant: an nginx TLS server left to the defaults', () => {
    const stack = withFile('/etc/nginx/nginx.conf', ConfigSyntax.NGINX, 'http {\n    server {\n        listen 443 ssl;\n    }\n}\n');
    expect(findingsOf(stack, TLS_INTERMEDIATE_RULE_ID).map((f) => [f.constructPath, f.message])).toEqual([
      ['test/Edge/Instance1', 'edge-1:/etc/nginx/nginx.conf listen line 3 (443 ssl): protocol TLSv1 is enabled (intermediate allows TLSv1.2, TLSv1.3)'],
      ['test/Edge/Instance1', 'edge-1:/etc/nginx/nginx.conf listen line 3 (443 ssl): protocol TLSv1.1 is enabled (intermediate allows TLSv1.2, TLSv1.3)'],
      ['test/Edge/Instance1', "edge-1:/etc/nginx/nginx.conf listen line 3 (443 ssl): no cipher list is set, so nginx's default (not Mozilla intermediate) applies"],
    ]);
  });

  test('non-compliant: haproxy with a weak cipher', () => {
    const stack = withFile('/etc/haproxy/haproxy.cfg', ConfigSyntax.HAPROXY, 'frontend www\n    bind :443 ssl crt /x.pem ciphers ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA\n');
    expect(findingsOf(stack, TLS_INTERMEDIATE_RULE_ID).map((f) => f.message)).toEqual(['edge-1:/etc/haproxy/haproxy.cfg bind line 2 (:443): cipher AES128-SHA is not in Mozilla\'s intermediate list']);
  });

  test('non-compliant: Apache with SSLv3 and TLSv1 enabled', () => {
    const stack = withFile('/etc/apache2/apache2.conf', ConfigSyntax.APACHE, `SSLEngine on\nSSLProtocol all -TLSv1.1\nSSLCipherSuite ${intermediateCipherString()}\n`);
    expect(findingsOf(stack, TLS_INTERMEDIATE_RULE_ID).map((f) => f.message)).toEqual([
      'edge-1:/etc/apache2/apache2.conf SSLEngine line 1: protocol SSLv3 is enabled (intermediate allows TLSv1.2, TLSv1.3)',
      'edge-1:/etc/apache2/apache2.conf SSLEngine line 1: protocol TLSv1 is enabled (intermediate allows TLSv1.2, TLSv1.3)',
    ]);
  });

  test('Octavia: a TERMINATED_HTTPS listener complies with both settings and not without them', () => {
    const { stack } = zonedStack();
    const good = new LbListenerV2(stack, 'Good', { loadbalancerId: 'lb', protocol: 'TERMINATED_HTTPS', protocolPort: 443, tlsVersions: ['TLSv1.2', 'TLSv1.3'], tlsCiphers: intermediateCipherString() });
    const bare = new LbListenerV2(stack, 'Bare', { loadbalancerId: 'lb', protocol: 'TERMINATED_HTTPS', protocolPort: 8443 });
    const old = new LbListenerV2(stack, 'Old', { loadbalancerId: 'lb', protocol: 'TERMINATED_HTTPS', protocolPort: 9443, tlsVersions: ['TLSv1.1', 'TLSv1.2'], tlsCiphers: intermediateCipherString() });
    const byPath = (p: string) => findingsOf(stack, TLS_INTERMEDIATE_RULE_ID).filter((f) => f.constructPath === p).map((f) => f.message);
    expect(byPath(good.node.path)).toEqual([]);
    expect(byPath(bare.node.path)).toEqual([
      "the TERMINATED_HTTPS listener sets no tls_versions, so the cloud's default applies; set ['TLSv1.2', 'TLSv1.3']",
      "the TERMINATED_HTTPS listener sets no tls_ciphers, so the cloud's default applies; set intermediateCipherString()",
    ]);
    expect(byPath(old.node.path)).toEqual(['the TERMINATED_HTTPS listener: protocol TLSv1.1 is enabled (intermediate allows TLSv1.2, TLSv1.3)']);
  });
});
