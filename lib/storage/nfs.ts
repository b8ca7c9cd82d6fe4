import { IConnectable } from '../core/connections';
import { ServerInstance } from '../compute/server-cluster';

/**
 * A shared NFS export that several tiers mount (Magento's `media/`, shared static files).
 * Implemented by the NFS server construct (lib/storage/shared-files.ts); consumers depend only on
 * this interface, so a test can pass a fake.
 */
export interface INfsShare {
  /**
   * Opens the share to `client`: NFS (TCP 2049) in the server's security group from the client's
   * connections, and `cidr` (the client's vSwitch subnet) in the export's client list.
   */
  allowClient(client: IConnectable, cidr: string): void;
  /**
   * Mounts the share at `mountPoint` on `host`: adds a systemd `.mount` unit (or an fstab line) and
   * the `nfs-common` package to the host's cloud-config, so the mount comes back after a reboot.
   */
  mountOn(host: ServerInstance, mountPoint: string): void;
}
