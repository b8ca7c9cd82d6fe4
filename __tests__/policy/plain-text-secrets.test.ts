import { TerraformVariable } from 'cdktf';
import { ConfigSyntax, Secret } from '../../lib';
import { findPlainTextSecrets, isSecretKey, PLAIN_TEXT_SECRETS_RULE, PLAIN_TEXT_SECRETS_RULE_ID } from '../../lib/policy/rules/plain-text-secrets';
import { cluster, findingsOf, zonedStack } from './fixtures';
import { runRule } from '../../lib/policy/policy-pack';

describe('findPlainTextSecrets: the detectors', () => {
  test.each([
    ['key = value', 'password = "changeme"', 'password'],
    ['key: value (YAML)', '  db_password: s3cr3t', 'db_password'],
    ['key=value (shell)', 'MYSQL_PWD=hunter2', 'MYSQL_PWD'],
    ['WireGuard PrivateKey', 'PrivateKey = yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=', 'PrivateKey'],
    ['key value (Redis)', 'requirepass placeholder', 'requirepass'],
    ['XML attribute', '<Resource name="jdbc/app" password="changeme" />', 'password'],
    ['XML element', '<password>changeme</password>', '<password>'],
    ['XML element with CDATA', '<password><![CDATA[changeme]]></password>', '<password>'],
    ['Magento crypt key', '<crypt>\n  <key><![CDATA[0123456789abcdef]]></key>\n</crypt>', '<crypt><key>'],
    ['an IPsec psk', 'psk: "not-so-secret"', 'psk'],
    ['an API token', 'api_token = abc123', 'api_token'],
    ['SQL', "CREATE USER 'app'@'%' IDENTIFIED BY 'changeme';", 'IDENTIFIED BY'],
    ['a mysql command line', 'mysql -uroot -pchangeme -e "SELECT 1"', '-p'],
    ['a PEM private key', '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----', 'PEM private key block'],
  ])('finds %s', (_what, text, key) => {
    expect(findPlainTextSecrets(text).map((l) => l.key)).toContain(key);
  });

  test.each([
    ['a sensitive variable', 'password = "${var.db_password}"'],
    ['a Terraform function of one', '<password>${replace(var.redis_password, "&", "&amp;")}</password>'],
    ['a WireGuard key from a variable', 'PrivateKey = ${var.wireguard_private_key}'],
    ['a shell variable', 'MYSQL_PWD=$(tr -d "\\r\\n" < "$PASSWORD_FILE")'],
    ['a SQL user variable', "EXECUTE IMMEDIATE CONCAT('CHANGE MASTER TO MASTER_PASSWORD=', QUOTE(@replication_password))"],
    ['a hashed password SQL', "IDENTIFIED BY PASSWORD ', QUOTE(PASSWORD(@app_password)))"],
    ['a comment', '# The password is not in this file'],
    ['names that are not secrets', 'server_tokens off;\nServerTokens Prod\nfastcgi_pass unix:/run/php/x.sock;\npassword_file = /etc/x.password'],
    ['a setting word', 'token: true'],
  ])('does not flag %s', (_what, text) => {
    expect(findPlainTextSecrets(text)).toEqual([]);
  });

  test('secret names are matched at the end of the key, in snake case', () => {
    expect(['password', 'applicationPassword', 'PresharedKey', 'application_credential_secret', 'MYSQL_PWD'].every(isSecretKey)).toBe(true);
    expect(['ssh_public_key', 'ServerTokens', 'password_file', 'key_pair', 'fastcgi_pass'].some(isSecretKey)).toBe(false);
  });
});

describe('HS-SECRET-1: no secret in plain text in the synthesized output', () => {
  test('compliant: a config holding a sensitive variable', () => {
    const { stack, data } = zonedStack();
    const db = cluster(stack, 'Db', data);
    const secret = Secret.variable(stack, 'db_password', 'test password');
    db.instances[0].cloudConfig.addFile({ path: '/etc/app.conf', content: `password = ${secret.value}\n` });
    expect(runRule(PLAIN_TEXT_SECRETS_RULE, stack)).toEqual([]);
  });

  test('non-compliant: a literal placeholder in a host file', () => {
    const { stack, data } = zonedStack();
    const db = cluster(stack, 'Db', data);
    db.instances[0].cloudConfig.addFile({ path: '/etc/app.conf', syntax: ConfigSyntax.SHELL, content: '# app\nDB_PASSWORD="changeme"\n' });
    expect(findingsOf(stack, PLAIN_TEXT_SECRETS_RULE_ID).map((f) => [f.constructPath, f.message])).toEqual([
      ['test/Db/Instance1', 'db-1:/etc/app.conf line 2: DB_PASSWORD holds a literal secret; use Secret.variable(scope, name, description) and put secret.value in the file'],
    ]);
  });

  test('non-compliant: a literal password on a cloud-init command line', () => {
    const { stack, data } = zonedStack();
    cluster(stack, 'Db', data).instances[0].cloudConfig.addCommand('mysql', '-uroot', '-phunter2', '-e', 'SELECT 1');
    expect(findingsOf(stack, PLAIN_TEXT_SECRETS_RULE_ID).map((f) => f.message)).toEqual([expect.stringMatching(/^db-1: cloud-init command \d+: -p holds a literal secret/)]);
  });

  test('non-compliant: a secret taken from a variable that is not sensitive', () => {
    const { stack, data } = zonedStack();
    const plain = new TerraformVariable(stack, 'DbPassword', { type: 'string' });
    plain.overrideLogicalId('db_password');
    cluster(stack, 'Db', data).instances[0].cloudConfig.addFile({ path: '/etc/app.conf', content: `password = ${plain.stringValue}\n` });
    const messages = findingsOf(stack, PLAIN_TEXT_SECRETS_RULE_ID).map((f) => f.message);
    expect(messages).toContain('db-1:/etc/app.conf: the secret comes from var.db_password, which is not sensitive; Terraform would print it in plans (declare it with Secret.variable)');
    expect(messages).toContain('the variable db_password is named like a secret but is not sensitive; use Secret.variable(scope, name, description) and put secret.value in the file');
  });

  test('non-compliant: a sensitive variable with a default', () => {
    const { stack } = zonedStack();
    const v = new TerraformVariable(stack, 'Token', { type: 'string', sensitive: true, default: 'abc' });
    v.overrideLogicalId('api_token');
    expect(findingsOf(stack, PLAIN_TEXT_SECRETS_RULE_ID).map((f) => [f.constructPath, f.message])).toEqual([
      // On the variable's construct (id Token), where a suppression can be put.
      ['test/Token', 'the sensitive variable api_token has a default, a literal secret in the Terraform; remove it and set the value at apply (TF_VAR_api_token)'],
    ]);
  });

  test('non-compliant: a literal secret argument of a resource', () => {
    const { stack, data } = zonedStack();
    const server = cluster(stack, 'Db', data).instances[0].resource;
    server.addOverride('admin_pass', 'hunter2');
    expect(findingsOf(stack, PLAIN_TEXT_SECRETS_RULE_ID).map((f) => [f.constructPath, f.message])).toEqual([
      [server.node.path, `openstack_compute_instance_v2.${server.friendlyUniqueId}: admin_pass is a literal secret; pass a sensitive variable or a generated secret (random_password)`],
    ]);
  });
});
