import { TerraformStack, TerraformVariable } from 'cdktf';
import { regionalScopeOf } from '../core/region-scope';
import { Construct } from 'constructs';
import { ComputeKeypairV2 } from '../../.gen/providers/openstack/compute-keypair-v2';
import { resourceName } from '../core/naming';
import { requireTerraformVariableName } from '../core/choices';
import { brand, hasBrand, requireProps } from '../core/peers';

/** Props of {@link KeyPair}. */
export interface KeyPairProps {
  /** The OpenSSH public key. @default - the Terraform variable `ssh_public_key` */
  readonly publicKey?: string;
}

/** A Nova key pair for the servers' login user. Only the public key is ever in the output. */
export class KeyPair extends Construct {
  /** True when `x` is a {@link KeyPair} (a `Symbol.for` brand: look-alike objects are not). */
  public static isKeyPair(x: unknown): x is KeyPair {
    return hasBrand(x, 'KeyPair');
  }

  /**
   * The default key pair of `scope`'s region (construct id `KeyPair` at the stack root, or in the
   * Site with a region of its own that encloses `scope`: Nova's key pairs are regional), created on
   * first use. Every region's key pair holds the same public key, the stack's `ssh_public_key`.
   */
  public static ofStack(scope: Construct): KeyPair {
    const owner = regionalScopeOf(scope);
    const existing = owner.node.tryFindChild('KeyPair') as KeyPair | undefined;
    if (existing) return existing;
    if (TerraformStack.isStack(owner)) return new KeyPair(owner, 'KeyPair');
    return new KeyPair(owner, 'KeyPair', { publicKey: stackPublicKey(TerraformStack.of(owner)) });
  }

  /** The key pair resource, construct id `Resource`. */
  public readonly resource: ComputeKeypairV2;
  /** The key pair's name, for instances (a reference, made once). */
  public readonly name: string;

  constructor(scope: Construct, id: string, props: KeyPairProps = {}) {
    super(scope, id);
    brand(this, 'KeyPair');
    requireProps(this, props);
    let publicKey = props.publicKey;
    // A regional key pair made first holds the stack's variable at the stack root.
    const shared = TerraformStack.of(this).node.tryFindChild(SHARED_PUBLIC_KEY_ID) as TerraformVariable | undefined;
    if (publicKey === undefined && shared) publicKey = shared.stringValue;
    if (publicKey === undefined) {
      requireTerraformVariableName(this, 'publicKey', 'ssh_public_key');
      const variable = new TerraformVariable(this, 'PublicKey', { type: 'string', description: PUBLIC_KEY_DESCRIPTION });
      variable.overrideLogicalId('ssh_public_key');
      publicKey = variable.stringValue;
    }
    this.resource = new ComputeKeypairV2(this, 'Resource', { name: resourceName(this), publicKey });
    this.name = this.resource.name;
  }
}

const SHARED_PUBLIC_KEY_ID = 'SshPublicKey';
const PUBLIC_KEY_DESCRIPTION = 'OpenSSH public key installed for the login user of every server';

/** The stack's `ssh_public_key`: the default key pair's variable, else one made at the stack root. */
function stackPublicKey(stack: TerraformStack): string {
  const own = stack.node.tryFindChild('KeyPair')?.node.tryFindChild('PublicKey') as TerraformVariable | undefined;
  if (own) return own.stringValue;
  const shared = stack.node.tryFindChild(SHARED_PUBLIC_KEY_ID) as TerraformVariable | undefined;
  if (shared) return shared.stringValue;
  const variable = new TerraformVariable(stack, SHARED_PUBLIC_KEY_ID, { type: 'string', description: PUBLIC_KEY_DESCRIPTION });
  variable.overrideLogicalId('ssh_public_key');
  return variable.stringValue;
}
