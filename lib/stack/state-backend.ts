import { LocalBackend, S3Backend, TerraformStack } from 'cdktf';
import { HostingStacksError } from '../core/errors';
import { TextKind, requireText } from '../core/text';
import { brand, hasBrand, requireFactoryOptions } from '../core/peers';

/** Props of {@link StateBackend.ovhObjectStorage}. */
export interface OvhObjectStorageBackendProps {
  /** The bucket (an OVHcloud S3 container, created beforehand, versioning on). */
  readonly bucket: string;
  /** The object storage region in lower case, as in its S3 endpoint (`gra`, `sbg`, `rbx`, `de`, `uk`, `waw`, `bhs`). */
  readonly region: string;
  /** Object key of the state. @default `<stack id>/terraform.tfstate` */
  readonly key?: string;
}

/**
 * Where a stack's Terraform state lives. `local()` keeps it in a file next to the Terraform, for
 * one operator; `ovhObjectStorage()` keeps it in an OVHcloud S3 bucket with Terraform's own lock
 * file (`use_lockfile`, Terraform 1.10 or later: OVHcloud Object Storage supports the conditional
 * writes it needs), so the operator, CI and the scaling hook share one state and never apply at
 * the same time. Credentials come from `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` (an OVHcloud
 * S3 user), never from the Terraform.
 */
export abstract class StateBackend {
  /** True when `x` is a {@link StateBackend} (a `Symbol.for` brand: look-alike objects are not). */
  public static isStateBackend(x: unknown): x is StateBackend {
    return hasBrand(x, 'StateBackend');
  }

  /** A local file with a relative path, `terraform.<stack id>.tfstate`: the same output on every machine. */
  public static local(): StateBackend {
    return new LocalStateBackend();
  }

  /** An OVHcloud S3 bucket, locked with Terraform's lock file. */
  public static ovhObjectStorage(props: OvhObjectStorageBackendProps): StateBackend {
    return new OvhObjectStorageBackend(requireFactoryOptions<OvhObjectStorageBackendProps>('StateBackend.ovhObjectStorage', props, ['bucket', 'region', 'key']));
  }

  constructor() {
    brand(this, 'StateBackend');
  }

  /** Adds the backend to `stack`; an invalid prop is an error naming the stack. */
  public abstract bind(stack: TerraformStack): void;
}

class LocalStateBackend extends StateBackend {
  public bind(stack: TerraformStack): void {
    new LocalBackend(stack, { path: `terraform.${stack.node.id}.tfstate` });
  }
}

class OvhObjectStorageBackend extends StateBackend {
  constructor(private readonly props: OvhObjectStorageBackendProps) {
    super();
  }

  public bind(stack: TerraformStack): void {
    const { bucket, region } = this.props;
    const key = this.props.key ?? `${stack.node.id}/terraform.tfstate`;
    // S3 bucket naming rules (3 to 63 characters, lower case, digits, '.', '-').
    requireText(stack, 'stateBackend.bucket', bucket, TextKind.NAME, {
      pattern: /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
      test: (v) => !v.includes('..'),
      allowed: "must be an S3 bucket name: 3 to 63 lower-case letters, digits, '.' and '-', starting and ending with a letter or digit",
    });
    requireText(stack, 'stateBackend.region', region, TextKind.NAME, {
      pattern: /^[a-z]{2,}(-[a-z0-9]+)*$/,
      allowed: "must be an OVHcloud object storage region in lower case, as in its endpoint (e.g. 'gra', 'sbg', 'de')",
    });
    if (typeof key !== 'string' || !/^[A-Za-z0-9!_.*'()/-]{1,512}$/.test(key) || key.startsWith('/') || key.split('/').some((s) => s === '' || s === '..')) {
      throw new HostingStacksError(stack, 'stateBackend.key', key, "must be an object key of letters, digits and !_.*'()/- without empty or '..' segments");
    }
    const backend = new S3Backend(stack, {
      bucket,
      key,
      region,
      endpoints: { s3: `https://s3.${region}.io.cloud.ovh.net` },
      usePathStyle: true,
      skipCredentialsValidation: true,
      skipRegionValidation: true,
      skipRequestingAccountId: true,
      skipMetadataApiCheck: true,
      skipS3Checksum: true,
    });
    // Terraform's S3 lock file (cdktf 0.21's S3Backend does not know the argument yet).
    backend.addOverride('use_lockfile', true);
  }
}
