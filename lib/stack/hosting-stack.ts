import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { App, AppConfig, ISynthesisSession, Manifest, TerraformDataSource, TerraformElement, TerraformLocal, TerraformOutput, TerraformProvider, TerraformResource, TerraformStack } from 'cdktf';
import { Construct, IConstruct } from 'constructs';
import { OpenstackProvider } from '../../.gen/providers/openstack/provider';
import { validateBackupCoverage } from '../backup/backup-coverage';
import { BACKUP_COVERAGE_RULE_ID } from '../policy/rules/backup-coverage';
import { ConfigSyntax } from '../compute/cloud-config';
import { findHosts, ServerInstance } from '../compute/server-cluster';
import { Site } from '../compute/site';
import { formatValue, HostingStacksError, SynthValidationError } from '../core/errors';
import { requireTerraformLiteral } from '../core/terraform-text';
import { checkTerraformTemplates } from '../validation/terraform-template-check';
import { requireOpenstackName, requireStackId } from '../core/choices';
import { PolicyPack } from '../policy/policy-pack';
import { renderRolloutPlan, ROLLOUT_PLAN_FILE } from '../rollout/rollout-plan';
import { ArchitectureModel, architectureOf } from '../architecture/architecture-model';
import { assessAvailability, AvailabilityAssessment } from '../architecture/availability';
import {
  ARCHITECTURE_JSON_FILE, ARCHITECTURE_NOTES_FILE, ARCHITECTURE_SVG_FILE, availabilitySummary, renderArchitectureJson, renderArchitectureNotes, ReportedAvailability,
} from '../architecture/architecture-notes';
import { renderArchitectureSvg } from '../architecture/architecture-svg';
import { renderCostJson, renderCostTable } from '../cost/cost-table';
import { COST_JSON_FILE, COST_TABLE_FILE, StackCost, stackCostOf, StackCostOptions, validateStackCostOptions } from '../cost/stack-cost';
import { StateBackend } from './state-backend';
import { SynthPass } from '../core/synth-pass';
import { brand, hasBrand, Kinds, optionalPeer, requireProps } from '../core/peers';

/** Props of {@link HostingStack}. */
export interface HostingStackProps {
  /** OpenStack region (`GRA11`, `SBG7` ...); plain text, no `${` or `%{`. @default - taken from `OS_REGION_NAME` at plan time */
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
  /**
   * An availability measured or promised for this architecture (a case study's figure), shown in
   * `ARCHITECTURE.md` beside the modelled one. @default - none: the modelled figure alone
   */
  readonly reportedAvailability?: ReportedAvailability;
  /**
   * What the monthly cost estimate (`cost.md`, `cost.json`, {@link HostingStack.cost}) cannot read
   * from the Terraform: the GB expected in object-storage containers. @default - no sizes given
   */
  readonly cost?: StackCostOptions;
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
 * backend with a relative path. At synth, besides the constructs' validations and the policy pack,
 * every string of its Terraform must read as meant ({@link checkTerraformTemplates}: a `${` or `%{`
 * no construct escaped or refused is an error naming the construct and the Terraform address) and
 * every artifact producer must return its file.
 */
export class HostingStack extends TerraformStack {
  /** The OpenStack provider. */
  public readonly provider: OpenstackProvider;
  /** The policy pack checked at synth (HS-* rules unless replaced). */
  public readonly policyPack: PolicyPack;
  /** What the cost estimate is given besides the Terraform (the `cost` prop). */
  public readonly costOptions: StackCostOptions;
  /** The `reportedAvailability` prop. */
  public readonly reportedAvailability?: ReportedAvailability;
  private readonly artifacts = new Map<string, () => string>();
  /** True while cdktf's synthesizer runs on this stack (after its aspects, the tree is final). */
  private synthesizing = false;

  /** True when `x` is a {@link HostingStack} (a `Symbol.for` brand, recognised across copies of the library). */
  public static isHostingStack(x: unknown): x is HostingStack {
    return hasBrand(x, 'HostingStack');
  }

  constructor(scope: Construct, id: string, props: HostingStackProps = {}) {
    super(scope, id);
    brand(this, 'HostingStack');
    // The id names the stack's directory under stacks/ ('..' would write outside it).
    requireStackId(this, id);
    requireProps(this, props);
    optionalPeer(this, 'stateBackend', props.stateBackend, Kinds.STATE_BACKEND);
    optionalPeer(this, 'policyPack', props.policyPack, Kinds.POLICY_PACK);
    if (props.region !== undefined) requireOpenstackName(this, 'region', props.region, 'an OpenStack region name');
    requireTerraformLiteral(this, 'region', props.region, true);
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
    // Every string of the Terraform is a template: what no construct escaped or refused is reported here.
    this.node.addValidation({ validate: () => this.validateTerraformTemplates() });
    // A producer that throws is an error of the check, not of the write.
    this.node.addValidation({ validate: () => this.validateArtifacts() });
    // The order and the configuration digests `hosting-stacks-rollout` replaces servers by.
    this.addArtifact(ROLLOUT_PLAN_FILE, () => renderRolloutPlan(this));
    // The architecture as the constructs declare it: diagrams, single points of failure, availability.
    this.reportedAvailability = validateReportedAvailability(this, props.reportedAvailability);
    this.addArtifact(ARCHITECTURE_NOTES_FILE, () => renderArchitectureNotes(this.architecture.model, this.architecture.assessment, this.reportedAvailability));
    this.addArtifact(ARCHITECTURE_SVG_FILE, () => renderArchitectureSvg(this.architecture.model, {
      singlePointsOfFailure: this.architecture.assessment.singlePointsOfFailure.map((s) => s.tier),
      subtitle: availabilitySummary(this.architecture.assessment, this.reportedAvailability),
    }));
    this.addArtifact(ARCHITECTURE_JSON_FILE, () => renderArchitectureJson(this.architecture.model, this.architecture.assessment, this.reportedAvailability));
    // The monthly cost at the baseline and each campaign's extra, from the dated price table.
    this.costOptions = props.cost ?? {};
    validateStackCostOptions(this, this.costOptions);
    this.addArtifact(COST_TABLE_FILE, () => renderCostTable(this.cost));
    this.addArtifact(COST_JSON_FILE, () => renderCostJson(this.cost));
    // Wrap the stack's synthesizer (public API) so the configs are written after its validations pass.
    // cdktf's synthesizer runs the aspects, then resolves the Terraform: from that first resolve
    // (toTerraform) to the end of the write, or of HostingApp's validations, the tree no longer
    // changes, so the Terraform, user data and artifacts are rendered once (SynthPass).
    const inner = this.synthesizer;
    this.synthesizer = {
      synthesize: (session: ISynthesisSession) => {
        this.synthesizing = true;
        try {
          inner.synthesize(session);
          this.writeHostConfigs(session);
          this.writeArtifacts(session);
        } finally {
          this.synthesizing = false;
          SynthPass.end(this);
        }
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

  /**
   * cdktf's preparation resolves every token of the stack once more, before the synth resolves them
   * all again, only to find references to other stacks and turn them into remote-state lookups: a
   * quarter of the synth of a large stack. The only stack of its app has no other stack to refer
   * to, so it is prepared without that pass (its backend ensured); beside other stacks, as cdktf does.
   */
  public override prepareStack(): void {
    const stacks = this.node.root.node.findAll().filter((c) => c instanceof TerraformStack);
    if (stacks.length === 1) this.ensureBackendExists();
    else super.prepareStack();
  }

  /**
   * The stack's Terraform JSON (cdktf's `toTerraform`). Within a synth the tree no longer changes
   * (aspects have run), so the JSON is resolved once and shared by the file written, the template
   * check and the policy pack; it must be read, not changed. Outside a synth, resolved each call.
   */
  public override toTerraform(): any {
    if (this.synthesizing) SynthPass.begin(this);
    return SynthPass.memo(this, 'toTerraform', () => {
      // Sites with a region of their own give their provider alias to what is in their scope; done
      // here too, not only by their aspect, so a test reading toTerraform() sees what synth writes.
      for (const c of this.node.findAll()) if (Site.isSite(c)) c.applyProvider();
      return super.toTerraform();
    });
  }

  /**
   * The stack's monthly cost at its baseline and what each campaign adds ({@link stackCostOf} with
   * the `cost` prop): what synth writes to `cost.md` and `cost.json`. Read it once the stack is
   * complete (at synth, or after `app.synth()`); computed once per synth.
   */
  public get cost(): StackCost {
    return SynthPass.memo(this, 'cost', () => stackCostOf(this, this.costOptions));
  }

  /**
   * The stack's architecture read from its constructs (tiers, zones, sites, entries, flows) and its
   * assessment (single points of failure, modelled availability): what synth writes to
   * `ARCHITECTURE.md`, `architecture.svg` and `architecture.json`. Read it once the stack is
   * complete; computed once per synth.
   */
  public get architecture(): { readonly model: ArchitectureModel; readonly assessment: AvailabilityAssessment } {
    return SynthPass.memo(this, 'architecture', () => {
      const model = architectureOf(this);
      return { model, assessment: assessAvailability(model) };
    });
  }

  /** Whether an artifact is already added at `relativePath`. */
  public hasArtifact(relativePath: string): boolean {
    return this.artifacts.has(relativePath);
  }

  /**
   * The artifacts' contents, sorted by path: what synth writes next to the Terraform. A producer that
   * throws, or returns something other than a string, fails with an error naming this stack and the
   * artifact's path. With `paths`, only those artifacts are rendered (a path not added is left out).
   */
  public renderArtifacts(paths?: readonly string[]): { readonly path: string; readonly content: string }[] {
    return [...this.artifacts.entries()]
      .filter(([path]) => paths === undefined || paths.includes(path))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([path, produce]) => ({ path, content: this.produceArtifact(path, produce) }));
  }

  private produceArtifact(path: string, produce: () => string): string {
    let content: unknown;
    try {
      content = SynthPass.memo(this, `artifact:${path}`, produce);
    } catch (e) {
      throw new HostingStacksError(this, 'addArtifact', path, `has a producer that threw at synth (${(e as Error).message}); a producer must return the file's content`);
    }
    if (typeof content !== 'string') {
      throw new HostingStacksError(this, 'addArtifact', path, `has a producer that returned ${formatValue(content)} at synth; a producer must return the file's content as a string`);
    }
    return content;
  }

  /** Runs every artifact producer: one error per producer that fails. */
  private validateArtifacts(): string[] {
    const errors: string[] = [];
    for (const [path, produce] of this.artifacts) {
      try {
        this.produceArtifact(path, produce);
      } catch (e) {
        errors.push((e as Error).message);
      }
    }
    return errors;
  }

  /**
   * Runs {@link checkTerraformTemplates} over this stack's own Terraform: every `${` or `%{` Terraform
   * would evaluate that no construct meant, one error each, naming the construct that made the block
   * (cdktf's `//` metadata, else the element of that address) and the block's Terraform address.
   */
  private validateTerraformTemplates(): string[] {
    let terraform: object;
    try {
      terraform = this.toTerraform();
    } catch {
      // A Terraform that cannot be rendered fails the synth itself, with its own message (and its
      // cause is a validation error of the construct whose value failed).
      return [];
    }
    const violations = checkTerraformTemplates(terraform);
    if (violations.length === 0) return [];
    const paths = elementPaths(this);
    return violations.map((v) => {
      const where = v.constructPath ?? paths.get(v.address) ?? this.node.path;
      const value = v.value.length > 80 ? `${v.value.slice(0, 80)}... (${v.value.length} characters)` : v.value;
      return `${where}: '${v.path}' (${formatValue(value)}) of ${v.address} would be evaluated by Terraform: ${v.message}. `
        + "Give plain text: Terraform reads '${' and '%{' in every string as an expression or a directive";
    });
  }

  /** Every host of this stack. */
  public get hosts(): ServerInstance[] {
    return findHosts(this);
  }

  /** Every file cloud-init writes on every host, with references resolved for review. */
  public renderHostFiles(): RenderedHostFile[] {
    return SynthPass.memo(this, 'hostFiles', () => this.collectHostFiles());
  }

  private collectHostFiles(): RenderedHostFile[] {
    const files: RenderedHostFile[] = [];
    for (const host of this.hosts) {
      for (const f of host.reviewedHostFiles()) files.push({ host: host.hostname, ...f });
    }
    return files.sort((a, b) => a.host.localeCompare(b.host) || a.path.localeCompare(b.path));
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
    removeHostConfigs(workdir);
    const made = new Set<string>();
    for (const f of files) {
      const target = join(root, f.host, f.path);
      const dir = dirname(target);
      if (!made.has(dir)) {
        mkdirSync(dir, { recursive: true });
        made.add(dir);
      }
      writeFileSync(target, f.content);
    }
  }

  private writeArtifacts(session: ISynthesisSession): void {
    const workdir = join(session.outdir, session.manifest.forStack(this).workingDirectory);
    const files = this.renderArtifacts();
    const manifest = join(workdir, ARTIFACT_MANIFEST);
    removeArtifacts(workdir);
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

/** Removes the host configs a synth wrote in `workdir`: each synth writes them all again. */
function removeHostConfigs(workdir: string): void {
  rmSync(join(workdir, 'configs'), { recursive: true, force: true });
}

/** Removes the artifacts the last synth listed in `workdir`: each synth writes those it still produces. */
function removeArtifacts(workdir: string): void {
  const manifest = join(workdir, ARTIFACT_MANIFEST);
  if (!existsSync(manifest)) return;
  for (const old of readFileSync(manifest, 'utf8').split('\n').filter((p) => ARTIFACT_PATH.test(p))) rmSync(join(workdir, old), { force: true });
}

/** The construct path of every Terraform element of `stack`, by its address in the JSON (`openstack_networking_router_v2.Net_Router_Resource_1A2B3C4D`, `provider.openstack`, `output.x`). */
function elementPaths(stack: TerraformStack): Map<string, string> {
  const paths = new Map<string, string>();
  for (const c of stack.node.findAll()) {
    if (!(c instanceof TerraformElement)) continue;
    const id = c.friendlyUniqueId;
    if (c instanceof TerraformResource) paths.set(`${c.terraformResourceType}.${id}`, c.node.path);
    else if (c instanceof TerraformDataSource) paths.set(`data.${c.terraformResourceType}.${id}`, c.node.path);
    else if (c instanceof TerraformProvider) paths.set(`provider.${c.terraformResourceType}`, c.node.path);
    else if (c instanceof TerraformOutput) paths.set(`output.${id}`, c.node.path);
    else if (c instanceof TerraformLocal) paths.set(`local.${id}`, c.node.path);
  }
  return paths;
}

/**
 * Moves the tree `src` into `dst`: a directory `dst` lacks is renamed in whole, a file replaces the
 * one of the same name, and files of `dst` that `src` lacks stay (the Terraform state beside the
 * output). Copies instead when the two are on different file systems.
 */
function moveInto(src: string, dst: string): void {
  mkdirSync(dst, { recursive: true });
  for (const entry of readdirSync(src, { withFileTypes: true })) {
    const from = join(src, entry.name);
    const to = join(dst, entry.name);
    if (entry.isDirectory() && existsSync(to)) {
      moveInto(from, to);
      continue;
    }
    try {
      renameSync(from, to);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
      cpSync(from, to, { recursive: true, force: true });
    }
  }
}

/**
 * An app that renders and checks every stack before writing any: a validation error, a Terraform
 * string Terraform would evaluate, content an aspect adds at synth or an artifact producer that
 * throws, in any stack, leaves nothing written in `cdktf.out`.
 *
 * A plain cdktf `App` writes stack by stack: it checks a stack (its validations, the template check
 * and the artifact producers included) just before writing it, so a failure leaves the stacks
 * synthesized before it written.
 */
export class HostingApp extends App {
  constructor(config?: AppConfig) {
    super(config);
  }

  /**
   * Renders every stack in full, as cdktf's synth does (aspects first, then the Terraform, the host
   * configs and the artifacts), into a staging folder; then runs every validation of every stack;
   * and only when neither found a problem, moves the files into the output folder. Otherwise throws
   * `Validation failed, nothing was written:` with one problem a line. A validation that throws is
   * reported like the others.
   */
  public synth(): void {
    const stacks = this.node.findAll().filter(TerraformStack.isStack);
    // Staged beside the output folder, on its file system, so that the files are moved in, not copied.
    const outdir = resolve(this.outdir);
    mkdirSync(dirname(outdir), { recursive: true });
    const staging = mkdtempSync(join(dirname(outdir), `.${basename(outdir)}-staging-`));
    try {
      mkdirSync(join(staging, Manifest.stacksFolder));
      // Validations run once below, over every stack, after every aspect has run.
      const session: ISynthesisSession = { outdir: staging, skipValidation: true, manifest: this.manifest };
      const failures = new Map<TerraformStack, string>();
      const attempt = (s: TerraformStack, step: () => void): void => {
        if (failures.has(s)) return;
        try {
          step();
        } catch (e) {
          // A HostingStacksError (thrown by an aspect's call) already names its construct.
          failures.set(s, e instanceof HostingStacksError ? e.message : `${s.node.path}: ${(e as Error).message}`);
        }
      };
      // As cdktf's synth: every stack is prepared (cross-stack references) before any is rendered.
      for (const s of stacks) attempt(s, () => s.prepareStack());
      // cdktf's stack synthesizer: invokes the stack's aspects, then renders (HostingStack: and its
      // configs and artifacts). Its synth pass stays open for the validations below.
      for (const s of stacks) SynthPass.hold(s);
      for (const s of stacks) attempt(s, () => s.synthesizer.synthesize(session));
      const errors: string[] = [];
      for (const s of stacks) {
        const found = this.skipValidation ? [] : s.node.findAll().flatMap((c) => validateConstruct(c));
        errors.push(...found);
        // A render that failed on what a validation reports (user data over Nova's limit) is said once.
        const failure = failures.get(s);
        if (failure && !found.some((f) => failure.includes(f))) errors.push(failure);
      }
      if (!this.skipValidation) errors.push(...validateConstruct(this));
      if (errors.length) throw new SynthValidationError(this, errors);
      for (const s of stacks) {
        const workdir = this.manifest.forStack(s).workingDirectory;
        const target = join(this.outdir, workdir);
        // What the last synth wrote and this one may no longer produce; the state next to it stays.
        removeHostConfigs(target);
        removeArtifacts(target);
        moveInto(join(staging, workdir), target);
      }
      this.manifest.writeToFile();
    } finally {
      for (const s of stacks) SynthPass.release(s);
      rmSync(staging, { recursive: true, force: true });
    }
  }
}

/** Checks a reported availability: a percentage above 0 and at most 100, and a source. */
function validateReportedAvailability(stack: HostingStack, reported: ReportedAvailability | undefined): ReportedAvailability | undefined {
  if (reported === undefined) return undefined;
  if (typeof reported !== 'object' || reported === null) throw new HostingStacksError(stack, 'reportedAvailability', reported, "must be { percent, source } (e.g. { percent: 99.8, source: 'case study 2' })");
  if (typeof reported.percent !== 'number' || !Number.isFinite(reported.percent) || reported.percent <= 0 || reported.percent > 100) {
    throw new HostingStacksError(stack, 'reportedAvailability.percent', reported.percent, 'must be a percentage above 0 and at most 100 (99.8 for 99.8 %)');
  }
  if (typeof reported.source !== 'string' || reported.source.trim() === '') {
    throw new HostingStacksError(stack, 'reportedAvailability.source', reported.source, 'must say where the figure comes from');
  }
  return { percent: reported.percent, source: reported.source };
}
