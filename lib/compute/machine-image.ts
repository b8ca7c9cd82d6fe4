import { Construct, IConstruct } from 'constructs';
import { regionalScopeOf } from '../core/region-scope';
import { DataOpenstackImagesImageV2 } from '../../.gen/providers/openstack/data-openstack-images-image-v2';
import { requireOpenstackName } from '../core/choices';
import { brand, hasBrand } from '../core/peers';
import { requireTerraformLiteral } from '../core/terraform-text';

/** The distribution family of an image; templates and package names depend on it. */
export enum OsFamily {
  DEBIAN = 'debian',
}

/**
 * A Glance image looked up by name at plan time (most recent match). The rendered configs target
 * Debian 12 (package names, paths such as `/etc/apache2`), which OVHcloud publishes as `Debian 12`.
 */
export class MachineImage {
  /** True when `x` is a {@link MachineImage} (a `Symbol.for` brand: look-alike objects are not). */
  public static isMachineImage(x: unknown): x is MachineImage {
    return hasBrand(x, 'MachineImage');
  }

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
  ) {
    brand(this, 'MachineImage');
  }

  /**
   * Throws a {@link HostingStacksError} naming `scope` and `prop` unless the name is one Glance can
   * match (not empty, at most 255 characters) and Terraform reads literally (no `${` or `%{`); returns this image otherwise.
   */
  public validate(scope: IConstruct, prop: string): MachineImage {
    requireOpenstackName(scope, prop, this.name, 'a Glance image name');
    requireTerraformLiteral(scope, prop, this.name);
    return this;
  }

  /** The image data source, one per stack and name; the name is validated against `scope` first. */
  public lookup(scope: Construct, prop = 'image'): DataOpenstackImagesImageV2 {
    this.validate(scope, prop);
    // One per region (image ids differ between regions): the stack's, or a regional Site's.
    const owner = regionalScopeOf(scope);
    const id = `Image-${this.name.replace(/[^A-Za-z0-9]/g, '_')}`;
    const existing = owner.node.tryFindChild(id);
    if (existing) return existing as DataOpenstackImagesImageV2;
    return new ImageLookup(owner, id, { name: this.name, mostRecent: true });
  }

  /**
   * The id of the image {@link lookup} finds, as a reference: the same token for every server of
   * the stack that boots from it (each read of a data source's attribute makes a new token).
   */
  public idIn(scope: Construct, prop = 'image'): string {
    const lookup = this.lookup(scope, prop);
    return lookup instanceof ImageLookup ? lookup.imageId : lookup.id;
  }
}

/** The image data source with its id read once. */
class ImageLookup extends DataOpenstackImagesImageV2 {
  public readonly imageId: string = this.id;
}
