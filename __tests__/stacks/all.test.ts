/**
 * stacks/all.ts: what `npm run synth` builds. The stacks are replaced by recorders, so the props
 * each gets are checked without building them.
 */
import { Testing } from 'cdktf';
import { buildAllStacks } from '../../stacks/all';
import { IpressoStack } from '../../stacks/ipresso';
import { MonsieurDeguisementStack } from '../../stacks/monsieur-deguisement';
import { PopgomStack } from '../../stacks/popgom';
import { RunisoStack } from '../../stacks/runiso';
import { SentineloStack } from '../../stacks/sentinelo';

jest.mock('../../stacks/popgom', () => ({ PopgomStack: jest.fn() }));
jest.mock('../../stacks/sentinelo', () => ({ SentineloStack: jest.fn() }));
jest.mock('../../stacks/runiso', () => ({ RunisoStack: jest.fn() }));
jest.mock('../../stacks/ipresso', () => ({ IpressoStack: jest.fn() }));
jest.mock('../../stacks/monsieur-deguisement', () => ({ MonsieurDeguisementStack: jest.fn() }));

const STACKS_WITH_AN_ADMIN_NETWORK = [SentineloStack, PopgomStack, RunisoStack] as unknown as jest.Mock[];
/**
 * Monsieur Déguisement's operators come in through its VPN; iPresso has no public entry (its
 * operators come through the customer's VPN or peering): neither takes an admin network.
 */
const STACKS_WITHOUT = [IpressoStack, MonsieurDeguisementStack] as unknown as jest.Mock[];

const givenAdminCidr = process.env.ADMIN_CIDR;
beforeEach(() => {
  delete process.env.ADMIN_CIDR;
  for (const stack of [...STACKS_WITH_AN_ADMIN_NETWORK, ...STACKS_WITHOUT]) stack.mockClear();
});
afterAll(() => {
  if (givenAdminCidr === undefined) delete process.env.ADMIN_CIDR;
  else process.env.ADMIN_CIDR = givenAdminCidr;
});

test('given ADMIN_CIDR, then every stack that takes an admin network gets it as adminCidr', () => {
  process.env.ADMIN_CIDR = '198.51.100.0/24';
  buildAllStacks(Testing.app());
  for (const stack of STACKS_WITH_AN_ADMIN_NETWORK) {
    expect(stack).toHaveBeenCalledTimes(1);
    expect(stack.mock.calls[0][2]).toEqual(expect.objectContaining({ adminCidr: '198.51.100.0/24' }));
  }
  for (const stack of STACKS_WITHOUT) {
    expect(stack).toHaveBeenCalledTimes(1);
    expect(stack.mock.calls[0][2]).toBeUndefined();
  }
});

test('given no ADMIN_CIDR, then no stack gets an adminCidr, so each keeps its safe default', () => {
  buildAllStacks(Testing.app());
  for (const stack of STACKS_WITH_AN_ADMIN_NETWORK) expect(stack.mock.calls[0][2]?.adminCidr).toBeUndefined();
});

test('the stacks are built in case-study order: Sentinelo (1), POPGOM (2), Runiso (3), iPresso (4), Monsieur Déguisement (5)', () => {
  buildAllStacks(Testing.app());
  const order = [SentineloStack, PopgomStack, RunisoStack, IpressoStack, MonsieurDeguisementStack].map((s) => (s as unknown as jest.Mock).mock.invocationCallOrder[0]);
  expect([...order].sort((a, b) => a - b)).toEqual(order);
  expect((SentineloStack as unknown as jest.Mock).mock.calls[0][1]).toBe('sentinelo');
});

test('given overrides, then each stack gets its own laid over the defaults, ADMIN_CIDR included', () => {
  process.env.ADMIN_CIDR = '198.51.100.0/24';
  buildAllStacks(Testing.app(), { sentinelo: { frontendCount: 2 }, popgom: { adminCidr: '192.0.2.0/24' }, runiso: { appBaselinePerSite: 1 } });
  expect((SentineloStack as unknown as jest.Mock).mock.calls[0][2]).toEqual({ adminCidr: '198.51.100.0/24', frontendCount: 2 });
  expect((RunisoStack as unknown as jest.Mock).mock.calls[0][2]).toEqual({ adminCidr: '198.51.100.0/24', appBaselinePerSite: 1 });
  expect((PopgomStack as unknown as jest.Mock).mock.calls[0][2]).toEqual({ adminCidr: '192.0.2.0/24' });
  expect((MonsieurDeguisementStack as unknown as jest.Mock).mock.calls[0][2]).toBeUndefined();
});
