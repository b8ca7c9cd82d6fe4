import { TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { DataOpenstackImagesImageV2 } from '../../.gen/providers/openstack/data-openstack-images-image-v2';

/** The distribution family of an image; templates and package names depend on it. */
export enum OsFamily {
  DEBIAN = 'debian',
}

/**
 * A Glance image looked up by name at plan time (most recent match). The rendered configs target
 * Debian 12 (package names, paths such as `/etc/apache2`), which OVHcloud publishes as `Debian 12`.
 */
export class MachineImage {
  /** Debian 12 "bookworm", the OVHcloud public image `Debian 12`. */
  public static debian12(): MachineImage {
    return new MachineImage('Debian 12', OsFamily.DEBIAN, 'debian');
  }
  /** Another Debian-family image by its Glance name. */
  public static debianNamed(name: string, loginUser = 'debian'): MachineImage {
    return new MachineImage(name, OsFamily.DEBIAN, loginUser);
  }
  private constructor(
    /** Glance image name. */
    public readonly name: string,
    /** Distribution family. */
    public readonly family: OsFamily,
    /** The image's default login user. */
    public readonly loginUser: string,
  ) {}

  /** The image data source, one per stack and name. */
  public lookup(scope: Construct): DataOpenstackImagesImageV2 {
    const stack = TerraformStack.of(scope);
    const id = `Image-${this.name.replace(/[^A-Za-z0-9]/g, '_')}`;
    const existing = stack.node.tryFindChild(id);
    if (existing) return existing as DataOpenstackImagesImageV2;
    return new DataOpenstackImagesImageV2(stack, id, { name: this.name, mostRecent: true });
  }
}
