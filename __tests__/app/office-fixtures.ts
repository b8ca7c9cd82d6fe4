/**
 * Shared fixtures of the back-office and deployment-server tests: a stack with a back-office and a
 * front-end network on one router with a public gateway, an office VPN of either kind, a fake
 * database, a fake NFS share and a front-end tier.
 */
import { Construct } from 'constructs';
import {
  Connections,
  ExternalNetwork,
  Flavor,
  HostingStack,
  IConnectable,
  IMysqlDatabase,
  IServerTier,
  PrivateVSwitch,
  Router,
  Secret,
  ServerCluster,
  ServerInstance,
} from '../../lib';
import { OfficeVpn, VpnKind } from '../../lib/vpn/office-vpn';
import { INfsShare } from '../../lib/storage/nfs';
import { testStack, tierOf } from '../support/synth';
import { TEST_KEYS } from '../vpn/wireguard-keys';

/** The offices of the fixtures. */
export const OFFICE_CIDRS = ['192.168.10.0/24', '192.168.20.0/24'];

/** A stack with two networks on one router and an office VPN of `kind`. */
export function officeStack(kind = VpnKind.WIREGUARD) {
  const stack: HostingStack = testStack();
  const router = new Router(stack, 'Router', { externalNetwork: ExternalNetwork.ovh() });
  const back = new PrivateVSwitch(stack, 'BackNet', { cidr: '10.20.0.0/24', router });
  const front = new PrivateVSwitch(stack, 'FrontNet', { cidr: '10.10.0.0/24', router });
  const peers = [
    { name: 'madrid', publicKey: TEST_KEYS.madrid, endpointAddress: '198.51.100.10', allowedIps: ['192.168.10.0/24'] },
    { name: 'valencia', publicKey: TEST_KEYS.valencia, endpointAddress: '198.51.100.20', allowedIps: ['192.168.20.0/24'] },
  ].map((p) => (kind === VpnKind.WIREGUARD ? p : { ...p, publicKey: undefined }));
  const vpn = new OfficeVpn(stack, 'Vpn', { vswitch: back, officeCidrs: OFFICE_CIDRS, officePeers: peers, kind });
  return { stack, router, back, front, vpn };
}

/** A database that only records who it lets in. */
export class FakeDatabase extends Construct implements IMysqlDatabase {
  public readonly connections: Connections;
  public readonly writerAddress: string;
  public readonly readerAddresses: readonly string[] = [];
  public readonly port = 3306;
  public readonly databaseName = 'magento';
  public readonly applicationUser = 'magento';
  public readonly applicationPassword: Secret;
  constructor(scope: Construct, id: string, vswitch: PrivateVSwitch) {
    super(scope, id);
    this.connections = new Connections(this, 'Connections');
    this.writerAddress = vswitch.allocateAddress(this);
    this.connections.addMemberAddress(this.writerAddress);
    this.applicationPassword = Secret.variable(this, 'magento_db_password', 'Magento database password');
  }
}

/** An NFS share that records the calls it receives. */
export class FakeNfsShare implements INfsShare {
  public readonly clients: { client: IConnectable; cidr: string }[] = [];
  public readonly mounts: { host: ServerInstance; mountPoint: string }[] = [];
  public allowClient(client: IConnectable, cidr: string): void {
    this.clients.push({ client, cidr });
  }
  public mountOn(host: ServerInstance, mountPoint: string): void {
    this.mounts.push({ host, mountPoint });
  }
}

/** A front-end tier of `count` servers on `vswitch`. */
export function frontEnds(scope: Construct, vswitch: PrivateVSwitch, count = 2): IServerTier {
  const cluster = new ServerCluster(scope, 'Front', { vswitch, count, flavor: Flavor.named('b3-8') });
  return tierOf(cluster);
}
