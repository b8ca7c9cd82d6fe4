import { TerraformStack, TerraformVariable } from 'cdktf';
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

  /** The stack's default key pair (construct id `KeyPair` at the stack root), created on first use. */
  public static ofStack(scope: Construct): KeyPair {
    const stack = TerraformStack.of(scope);
    return (stack.node.tryFindChild('KeyPair') as KeyPair | undefined) ?? new KeyPair(stack, 'KeyPair');
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
    if (publicKey === undefined) {
      requireTerraformVariableName(this, 'publicKey', 'ssh_public_key');
      const variable = new TerraformVariable(this, 'PublicKey', {
        type: 'string',
        description: 'OpenSSH public key installed for the login user of every server',
      });
      variable.overrideLogicalId('ssh_public_key');
      publicKey = variable.stringValue;
    }
    this.resource = new ComputeKeypairV2(this, 'Resource', { name: resourceName(this), publicKey });
    this.name = this.resource.name;
  }
}
