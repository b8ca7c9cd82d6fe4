import { cidrContains, cidrsOverlap, formatIpv4, parseCidr, parseIpv4 } from '../../lib/core/ipv4';

describe('ipv4', () => {
  test('parses and formats addresses', () => {
    expect(formatIpv4(parseIpv4('10.1.2.3')!)).toBe('10.1.2.3');
    expect(parseIpv4('255.255.255.255')).toBe(0xffffffff);
  });

  test.each(['10.1.2', '10.1.2.256', 'a.b.c.d', '10.1.2.3.4', ''])('rejects the address %p', (text) => {
    expect(parseIpv4(text)).toBeUndefined();
  });

  test('parses a CIDR into network, prefix and size', () => {
    expect(parseCidr('10.0.4.0/22')).toEqual({ network: parseIpv4('10.0.4.0'), prefix: 22, size: 1024, text: '10.0.4.0/22' });
  });

  test.each(['10.0.1.5/24', '10.0.0.0/33', '10.0.0.0', '10.0.0.0/x', '300.0.0.0/8'])('rejects the CIDR %p', (text) => {
    expect(parseCidr(text)).toBeUndefined();
  });

  test('detects overlap and containment', () => {
    const a = parseCidr('10.0.0.0/16')!;
    expect(cidrsOverlap(a, parseCidr('10.0.200.0/24')!)).toBe(true);
    expect(cidrsOverlap(a, parseCidr('10.1.0.0/24')!)).toBe(false);
    expect(cidrContains(a, parseIpv4('10.0.255.255')!)).toBe(true);
    expect(cidrContains(a, parseIpv4('10.1.0.0')!)).toBe(false);
  });
});
