import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { App, AppConfig, DefaultTokenResolver, ISynthesisSession, StringConcat, TerraformStack, Tokenization } from 'cdktf';
import { Construct, IConstruct } from 'constructs';
import { OpenstackProvider } from '../../.gen/providers/openstack/provider';
import { validateBackupCoverage } from '../backup/backup-coverage';
import { BACKUP_COVERAGE_RULE_ID } from '../policy/rules/backup-coverage';
import { ConfigSyntax } from '../compute/cloud-config';
import { findHosts, ServerInstance } from '../compute/server-cluster';
import { HostingStacksError } from '../core/errors';
import { PolicyPack } from '../policy/policy-pack';
import { renderRolloutPlan, ROLLOUT_PLAN_FILE } from '../rollout/rollout-plan';
import { StateBackend } from './state-backend';

/** Props of {@link HostingStack}. */
export interface HostingStackProps {
  /** OpenStack region (`GRA11`, `SBG7` ...). @default - taken from `OS_REGION_NAME` at plan time */
  readonly region?: string;
  /** Keep state in a local file with a relative path (the same on every machine). Set false to add your own backend. Ignored with `stateBackend`. @default true */
  readonly localBackend?: boolean;
  /**
   * Where the state lives: `StateBackend.ovhObjectStorage({ bucket, region })` shares it, locked,
   * between operators, CI and the scaling hook. @default StateBackend.local() (unless `localBackend` is false)
   */
  readonly stateBackend?: StateBackend;
  /** Policy rules checked at synth; findings fail it. Extend with `PolicyPack.default().addRule(rule)`. @default PolicyPack.default() */
  readonly policyPack?: PolicyPack;
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
  /** The policy pack checked at synth (HS-* rules unless replaced). */
  public readonly policyPack: PolicyPack;
  private readonly artifacts = new Map<string, () => string>();

  constructor(scope: Construct, id: string, props: HostingStackProps = {}) {
    super(scope, id);
    this.provider = new OpenstackProvider(this, 'openstack', { region: props.region });
    if (props.stateBackend) props.stateBackend.bind(this);
    else if (props.localBackend ?? true) StateBackend.local().bind(this);
    this.node.addValidation({ validate: () => this.validateHostnames() });
    // The policy pack (lib/policy): unsuppressed findings are validation errors.
    this.policyPack = props.policyPack ?? PolicyPack.default();
    // Stateful servers must be in a backup policy or exempted with a reason; the default pack's
    // HS-BACKUP-1 says so, and a pack without that rule does not lift the requirement.
    this.node.addValidation({ validate: () => (this.policyPack.rules.some((r) => r.id === BACKUP_COVERAGE_RULE_ID) ? [] : validateBackupCoverage(this)) });
    this.node.addValidation({ validate: () => this.policyPack.validate(this) });
    // The order and the configuration digests `hosting-stacks-rollout` replaces servers by.
    this.addArtifact(ROLLOUT_PLAN_FILE, () => renderRolloutPlan(this));
    // Wrap the stack's synthesizer (public API) so the configs are written after its validations pass.
    const inner = this.synthesizer;
    this.synthesizer = {
      synthesize: (session: ISynthesisSession) => {
        inner.synthesize(session);
        this.writeHostConfigs(session);
        this.writeArtifacts(session);
      },
    };
  }

  /**
   * Adds a file written next to the stack's Terraform at synth, after the validations pass:
   * `cdktf.out/stacks/<stack>/<relativePath>` (e.g. `campaigns/halloween.tfvars.json`). `produce` runs
   * at synth, so the content may depend on what is added after this call. Files written by an
   * earlier synth and no longer produced are removed.
   */
  public addArtifact(relativePath: string, produce: () => string): void {
    if (!ARTIFACT_PATH.test(relativePath)) {
      throw new HostingStacksError(this, 'relativePath', relativePath,
        "must be a relative path of segments of letters, digits, '.', '_', '+' and '-' that do not start with '.' (e.g. 'campaigns/halloween.tfvars.json')");
    }
    const first = relativePath.split('/')[0];
    if (first === 'configs' || relativePath === 'cdk.tf.json' || /\.tfstate(\.backup)?$/.test(relativePath)) {
      throw new HostingStacksError(this, 'relativePath', relativePath, "is reserved: 'configs/', 'cdk.tf.json' and Terraform state files are written by the stack itself");
    }
    for (const other of this.artifacts.keys()) {
      if (other === relativePath || other.startsWith(`${relativePath}/`) || relativePath.startsWith(`${other}/`)) {
        throw new HostingStacksError(this, 'relativePath', relativePath, `clashes with the artifact '${other}'; each artifact needs a path of its own`);
      }
    }
    this.artifacts.set(relativePath, produce);
  }

  /** Whether an artifact is already added at `relativePath`. */
  public hasArtifact(relativePath: string): boolean {
    return this.artifacts.has(relativePath);
  }

  /** The artifacts' contents, sorted by path: what synth writes next to the Terraform. */
  public renderArtifacts(): { readonly path: string; readonly content: string }[] {
    return [...this.artifacts.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([path, produce]) => ({ path, content: produce() }));
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

  private writeArtifacts(session: ISynthesisSession): void {
    const workdir = join(session.outdir, session.manifest.forStack(this).workingDirectory);
    const files = this.renderArtifacts();
    const manifest = join(workdir, ARTIFACT_MANIFEST);
    if (existsSync(manifest)) {
      for (const old of readFileSync(manifest, 'utf8').split('\n').filter((p) => ARTIFACT_PATH.test(p))) rmSync(join(workdir, old), { force: true });
    }
    for (const f of files) {
      const target = join(workdir, f.path);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, f.content);
    }
    writeFileSync(manifest, files.map((f) => `${f.path}\n`).join(''));
  }
}

/** Artifact paths: relative, segments that do not start with '.' (no '..', no hidden files). */
const ARTIFACT_PATH = /^[A-Za-z0-9_+-][A-Za-z0-9._+-]*(\/[A-Za-z0-9_+-][A-Za-z0-9._+-]*)*$/;
/** The list of artifacts the last synth wrote, so the next one removes those no longer produced. */
const ARTIFACT_MANIFEST = '.hosting-stacks-artifacts';

/** The validation errors of `c`; an exception thrown by a validation (e.g. a token that fails to resolve) is one of them. */
function validateConstruct(c: IConstruct): string[] {
  try {
    return c.node.validate();
  } catch (e) {
    return [`${c.node.path}: ${(e as Error).message}`];
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

  /** Validates all stacks, then synthesizes them. A validation that throws is reported like the others. */
  public synth(): void {
    const stacks = this.node.findAll().filter(TerraformStack.isStack);
    const errors = stacks.flatMap((s) => s.node.findAll().flatMap((c) => validateConstruct(c)));
    if (errors.length) throw new Error(`Validation failed, nothing was written:\n  ${errors.join('\n  ')}`);
    for (const s of stacks) s.toTerraform();
    super.synth();
  }
}
