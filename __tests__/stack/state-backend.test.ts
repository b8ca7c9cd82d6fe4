import { Testing } from 'cdktf';
import { HostingStack, StateBackend } from '../../lib';

function terraformBlock(props: ConstructorParameters<typeof HostingStack>[2]) {
  const stack = new HostingStack(Testing.app(), 'shop', props);
  return (JSON.parse(Testing.synth(stack)) as { terraform: Record<string, unknown> }).terraform;
}

describe('StateBackend', () => {
  test('by default, the state is a local file with a relative path', () => {
    expect(terraformBlock({}).backend).toEqual({ local: { path: 'terraform.shop.tfstate' } });
    expect(terraformBlock({ localBackend: false }).backend).toBeUndefined();
  });

  test('on OVHcloud object storage, the state is shared through the region\'s S3 endpoint and locked with Terraform\'s lock file', () => {
    const backend = terraformBlock({ stateBackend: StateBackend.ovhObjectStorage({ bucket: 'acme-tfstate', region: 'gra' }) }).backend as Record<string, Record<string, unknown>>;
    expect(Object.keys(backend)).toEqual(['s3']);
    expect(backend.s3).toEqual({
      bucket: 'acme-tfstate',
      key: 'shop/terraform.tfstate',
      region: 'gra',
      endpoints: { s3: 'https://s3.gra.io.cloud.ovh.net' },
      use_path_style: true,
      skip_credentials_validation: true,
      skip_region_validation: true,
      skip_requesting_account_id: true,
      skip_metadata_api_check: true,
      skip_s3_checksum: true,
      use_lockfile: true,
    });
    // No credential in the Terraform: they come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.
    expect(JSON.stringify(backend)).not.toMatch(/access_key|secret_key/);
  });

  test('given a bad bucket, region or key, then an error names the stack, the prop and the value', () => {
    const stack = (p: { bucket: string; region: string; key?: string }) => () => new HostingStack(Testing.app(), 'shop', { stateBackend: StateBackend.ovhObjectStorage(p) });
    expect(stack({ bucket: 'Acme_State', region: 'gra' })).toThrow("shop: 'stateBackend.bucket' ('Acme_State') must be an S3 bucket name");
    expect(stack({ bucket: 'acme', region: 'GRA11' })).toThrow("shop: 'stateBackend.region' ('GRA11') must be an OVHcloud object storage region in lower case");
    expect(stack({ bucket: 'acme', region: 'gra', key: '../x' })).toThrow("shop: 'stateBackend.key' ('../x') must be an object key");
    expect(stack({ bucket: 'acme', region: '${file("/etc/passwd")}' })).toThrow(/'stateBackend\.region'/);
  });
});
