import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { App, AppConfig, DefaultTokenResolver, ISynthesisSession, LocalBackend, StringConcat, TerraformStack, Tokenization } from 'cdktf';
import { Construct } from 'constructs';
import { OpenstackProvider } from '../../.gen/providers/openstack/provider';
import { validateBackupCoverage } from '../backup/backup-coverage';
import { ConfigSyntax } from '../compute/cloud-config';
import { findHosts, ServerInstance } from '../compute/server-cluster';

/** Props of {@link HostingStack}. */
export interface HostingStackProps {
  /** OpenStack region (`GRA11`, `SBG7` ...). @default - taken from `OS_REGION_NAME` at plan time */
  readonly region?: string;
  /** Keep state in a local file with a relative path (the same on every machine). Set false to add your own backend. @default true */
  readonly localBackend?: boolean;
}

/** One file of a host's configuration, as written for review. */
export interface RenderedHostFile {
  /** Host name. */
  readonly host: string;
  /** Absolute path on the host. */
  readonly path: string;
  /** Content with Terraform references shown as `${var.name}`. */
  readonly content: string;
  /** The file's language, when it is a config with a checker. */
  readonly syntax?: ConfigSyntax;
}

/**
 * A stack of OpenStack resources whose hosts' configs are written next to its Terraform at synth:
 * `cdktf.out/stacks/<stack>/configs/<host>/<absolute path on the host>`, so a reviewer sees every
 * daemon config change in a PR. Configures the OpenStack provider (pinned `~> 3.4`) and a local
 * backend with a relative path.
 */
export class HostingStack extends TerraformStack {
  /** The OpenStack provider. */
  public readonly provider: OpenstackProvider;

  constructor(scope: Construct, id: string, props: HostingStackProps = {}) {
    super(scope, id);
    this.provider = new OpenstackProvider(this, 'openstack', { region: props.region });
    if (props.localBackend ?? true) new LocalBackend(this, { path: `terraform.${id}.tfstate` });
    this.node.addValidation({ validate: () => this.validateHostnames() });
    // Stateful servers must be in a backup policy or exempted with a reason.
    this.node.addValidation({ validate: () => validateBackupCoverage(this) });
    // Wrap the stack's synthesizer (public API) so the configs are written after its validations pass.
    const inner = this.synthesizer;
    this.synthesizer = {
      synthesize: (session: ISynthesisSession) => {
        inner.synthesize(session);
        this.writeHostConfigs(session);
      },
    };
  }

  /** Every host of this stack. */
  public get hosts(): ServerInstance[] {
    return findHosts(this);
  }

  /** Every file cloud-init writes on every host, with references resolved for review. */
  public renderHostFiles(): RenderedHostFile[] {
    const files: RenderedHostFile[] = [];
    for (const host of this.hosts) {
      for (const f of host.cloudConfig.hostFiles) {
        files.push({ host: host.hostname, path: f.path, content: this.resolveForReview(f.content), syntax: f.syntax });
      }
    }
    return files.sort((a, b) => a.host.localeCompare(b.host) || a.path.localeCompare(b.path));
  }

  private resolveForReview(content: string): string {
    if (!Tokenization.isResolvable(content) && !content.includes('${')) return content;
    return Tokenization.resolve(content, { scope: this, preparing: false, resolver: new DefaultTokenResolver(new StringConcat()) }) as string;
  }

  private validateHostnames(): string[] {
    const seen = new Map<string, string>();
    const errors: string[] = [];
    for (const h of this.hosts) {
      const other = seen.get(h.hostname);
      if (other) errors.push(`${h.node.path}: 'hostname' ('${h.hostname}') is also used by ${other}; host names must be unique in a stack`);
      seen.set(h.hostname, h.node.path);
    }
    return errors;
  }

  private writeHostConfigs(session: ISynthesisSession): void {
    const workdir = join(session.outdir, session.manifest.forStack(this).workingDirectory);
    const root = join(workdir, 'configs');
    const files = this.renderHostFiles();
    rmSync(root, { recursive: true, force: true });
    for (const f of files) {
      const target = join(root, f.host, f.path);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, f.content);
    }
  }
}

/**
 * An app that checks every stack before writing any: a validation error in the last stack leaves
 * nothing half-written in `cdktf.out`.
 */
export class HostingApp extends App {
  constructor(config?: AppConfig) {
    super(config);
  }

  /** Validates all stacks, then synthesizes them. */
  public synth(): void {
    const stacks = this.node.findAll().filter(TerraformStack.isStack);
    const errors = stacks.flatMap((s) => s.node.findAll().flatMap((c) => c.node.validate()));
    if (errors.length) throw new Error(`Validation failed, nothing was written:\n  ${errors.join('\n  ')}`);
    for (const s of stacks) s.toTerraform();
    super.synth();
  }
}
