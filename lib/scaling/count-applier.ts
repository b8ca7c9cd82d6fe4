import { TerraformStack, TerraformVariable } from 'cdktf';
import { Construct } from 'constructs';
import { HostingStacksError, requireIntegerInRange } from '../core/errors';
import { brand, hasBrand, requireFactoryOptions } from '../core/peers';
import { Secret } from '../core/secret';
import { escapeTerraformText } from '../core/terraform-text';
import { requireText, TextKind } from '../core/text';
import { requireTerraformVariableName } from '../core/choices';

/** Props of {@link CountApplier.githubWorkflow}. */
export interface GithubWorkflowApplierProps {
  /**
   * The repository holding the stack and its scaling workflow, `owner/name`.
   * @default the Terraform variable `scaling_github_repository` (required at apply)
   */
  readonly repository?: string;
  /**
   * The workflow's file name in `.github/workflows/`, where `scaling/github-actions.yml` is copied.
   * @default `scaling-<stack id in kebab case>.yml`, the workflow's own name
   */
  readonly workflowFile?: string;
  /** The branch or tag the workflow runs on. @default 'main' */
  readonly ref?: string;
  /** The GitHub REST API. @default 'https://api.github.com' (GitHub Enterprise Server: `https://<host>/api/v3`) */
  readonly apiUrl?: string;
  /** Minutes the hook waits for the counts it sent to show as applied before it decides from the applied ones again. @default 30 */
  readonly applyTimeoutMinutes?: number;
}

/** Props of {@link CountApplier.onMonitoringServer}. */
export interface MonitoringServerApplierProps {
  /** The Terraform working copy on the monitoring server (the operator copies the synthesized stack there). @default `/srv/terraform/<stack id>` */
  readonly workingDirectory?: string;
  /**
   * The command the hook runs after it changed a count (argv, run in the working copy). @default the
   * count-only apply: `python3 count-apply.py <dir> -var-file=scaling/hook.auto.tfvars.json`, which
   * refuses a plan that changes more than the counts
   */
  readonly command?: readonly string[];
  /** Minutes the command may run before the hook kills it. @default 30 */
  readonly timeoutMinutes?: number;
}

/** How the scaling hook has its counts applied, as its config and unit take it. */
export type HookApplyTarget =
  | {
    readonly kind: 'command';
    /** The Terraform working copy the command runs in. */
    readonly workingDirectory: string;
    readonly command: readonly string[];
    readonly timeoutSeconds: number;
  }
  | {
    readonly kind: 'dispatch';
    /** Where the hook keeps its variables file (its own record of the counts it sent). */
    readonly workingDirectory: string;
    /** `<api>/repos/<repository>/actions/workflows/<file>/dispatches` (a Terraform reference while the repository is a variable). */
    readonly url: string;
    readonly ref: string;
    /** The token, a sensitive variable; the hook reads it from its root-only environment file. */
    readonly token: Secret;
    readonly timeoutSeconds: number;
  };

/** What {@link CountApplier.bind} is given: the monitoring server's construct and the paths it uses. */
export interface CountApplierContext {
  readonly scope: Construct;
  /** The path of the count-only apply script on the monitoring server. */
  readonly countApplyScript: string;
  /** The hook's variables file, relative to the working copy. */
  readonly tfvarsFile: string;
  /** The hook's state directory (its own files). */
  readonly stateDirectory: string;
}

/** The default workflow file of a stack: the workflow's `name:` with `.yml`. */
export function scalingWorkflowFile(stackId: string): string {
  return `${scalingWorkflowName(stackId)}.yml`;
}

/** The scaling workflow's `name:` for a stack: `scaling-<stack id in kebab case>`. */
export function scalingWorkflowName(stackId: string): string {
  return `scaling-${stackId.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase().replace(/[^a-z0-9-]+/g, '-')}`;
}

/** The Terraform variable holding the repository when {@link GithubWorkflowApplierProps.repository} is not given. */
export const SCALING_REPOSITORY_VARIABLE = 'scaling_github_repository';
/** The sensitive Terraform variable holding the token the hook dispatches the workflow with. */
export const SCALING_DISPATCH_TOKEN_VARIABLE = 'scaling_dispatch_token';

const REPOSITORY = /^[A-Za-z0-9-]{1,39}\/[A-Za-z0-9._-]{1,100}$/;
/** {@link REPOSITORY} as Terraform's `regex` takes it. */
const REPOSITORY_RE2 = '^[A-Za-z0-9-]{1,39}/[A-Za-z0-9._-]{1,100}$';

/**
 * Who applies the counts the scaling hook decides: one controller must own them, with Terraform,
 * the stack's variables and its shared, locked state.
 *
 * - {@link CountApplier.githubWorkflow} (the default): the hook dispatches the stack's scaling
 *   workflow (`scaling/github-actions.yml`) with the counts as its `counts` input. The workflow is
 *   then the one controller of the counts: it already runs the calendar's steps, has Terraform, the
 *   checkout and the secrets, and runs one apply at a time (its concurrency group). The monitoring
 *   server holds only a token allowed to dispatch it.
 * - {@link CountApplier.onMonitoringServer}: the hook runs the count-only apply itself, in a
 *   Terraform working copy on the monitoring server that the operator installs (Terraform, the
 *   copy, its backend credentials and variables); for sites without GitHub Actions.
 */
export abstract class CountApplier {
  /** True when `x` is a {@link CountApplier} (a `Symbol.for` brand: look-alike objects are not). */
  public static isCountApplier(x: unknown): x is CountApplier {
    return hasBrand(x, 'CountApplier');
  }

  /** The hook dispatches the stack's scaling workflow on GitHub Actions with the new counts. */
  public static githubWorkflow(props?: GithubWorkflowApplierProps): CountApplier {
    return new GithubWorkflowApplier(requireFactoryOptions<GithubWorkflowApplierProps>('CountApplier.githubWorkflow', props,
      ['repository', 'workflowFile', 'ref', 'apiUrl', 'applyTimeoutMinutes']));
  }

  /** The hook runs the count-only apply on the monitoring server, in a working copy the operator installs. */
  public static onMonitoringServer(props?: MonitoringServerApplierProps): CountApplier {
    return new MonitoringServerApplier(requireFactoryOptions<MonitoringServerApplierProps>('CountApplier.onMonitoringServer', props,
      ['workingDirectory', 'command', 'timeoutMinutes']));
  }

  constructor() {
    brand(this, 'CountApplier');
  }

  /** Checks the props against `context.scope` (errors name its path) and returns the hook's target. */
  public abstract bind(context: CountApplierContext): HookApplyTarget;
}

class GithubWorkflowApplier extends CountApplier {
  constructor(private readonly props: GithubWorkflowApplierProps) {
    super();
  }

  public bind(context: CountApplierContext): HookApplyTarget {
    const { scope } = context;
    const stack = TerraformStack.of(scope);
    const p = 'applier';
    let repository: string;
    if (this.props.repository !== undefined) {
      repository = requireText(scope, `${p}.repository`, this.props.repository, TextKind.WORD, {
        pattern: REPOSITORY,
        allowed: "must be a GitHub repository 'owner/name' (letters, digits and '-' for the owner; letters, digits, '.', '_' and '-' for the name)",
      });
    } else {
      requireTerraformVariableName(scope, `${p}.repository`, SCALING_REPOSITORY_VARIABLE, (existing) => existing.node.scope === stack && existing.node.id === 'ScalingRepository');
      let variable = stack.node.tryFindChild('ScalingRepository') as TerraformVariable | undefined;
      if (!variable) {
        variable = new TerraformVariable(stack, 'ScalingRepository', {
          type: 'string',
          nullable: false,
          description: escapeTerraformText('GitHub repository (owner/name) whose scaling workflow the scaling hook dispatches with new counts'),
          validation: [{
            condition: `\${can(regex("${REPOSITORY_RE2}", var.${SCALING_REPOSITORY_VARIABLE}))}`,
            errorMessage: `${SCALING_REPOSITORY_VARIABLE} must be a GitHub repository, owner/name.`,
          }],
        });
        variable.overrideLogicalId(SCALING_REPOSITORY_VARIABLE);
      }
      repository = variable.stringValue;
    }
    const workflowFile = this.props.workflowFile ?? scalingWorkflowFile(stack.node.id);
    requireText(scope, `${p}.workflowFile`, workflowFile, TextKind.NAME, {
      pattern: /^[A-Za-z0-9._-]+\.ya?ml$/,
      allowed: "must be a workflow file name in .github/workflows, ending in '.yml' or '.yaml'",
    });
    const ref = this.props.ref ?? 'main';
    requireText(scope, `${p}.ref`, ref, TextKind.WORD, {
      pattern: /^[A-Za-z0-9._/-]{1,255}$/,
      test: (v) => !v.startsWith('/') && !v.endsWith('/') && !v.includes('..') && !v.includes('//'),
      allowed: "must be a branch or tag name: letters, digits and '._/-', no '..' and no leading or trailing '/'",
    });
    const apiUrl = (this.props.apiUrl ?? 'https://api.github.com').replace(/\/$/, '');
    requireText(scope, `${p}.apiUrl`, apiUrl, TextKind.HTTP_URL, {
      test: (v) => v.startsWith('https://') && !v.includes('?'),
      allowed: "must be an https URL of a GitHub REST API without a query, e.g. 'https://api.github.com' or 'https://github.example.com/api/v3'",
    });
    const minutes = this.props.applyTimeoutMinutes ?? 30;
    requireIntegerInRange(scope, `${p}.applyTimeoutMinutes`, minutes, 1, 1440);
    const token = Secret.variable(scope, SCALING_DISPATCH_TOKEN_VARIABLE,
      'GitHub token the scaling hook dispatches the scaling workflow with (fine-grained: Actions read and write on the repository, nothing else)');
    return {
      kind: 'dispatch',
      workingDirectory: context.stateDirectory,
      url: `${apiUrl}/repos/${repository}/actions/workflows/${workflowFile}/dispatches`,
      ref,
      token,
      timeoutSeconds: minutes * 60,
    };
  }
}

class MonitoringServerApplier extends CountApplier {
  constructor(private readonly props: MonitoringServerApplierProps) {
    super();
  }

  public bind(context: CountApplierContext): HookApplyTarget {
    const { scope } = context;
    const p = 'applier';
    const workingDirectory = this.props.workingDirectory ?? `/srv/terraform/${TerraformStack.of(scope).node.id}`;
    requireText(scope, `${p}.workingDirectory`, workingDirectory, TextKind.ABSOLUTE_PATH);
    const command = this.props.command ?? ['/usr/bin/python3', context.countApplyScript, workingDirectory, `-var-file=${context.tfvarsFile}`];
    if (!Array.isArray(command) || command.length === 0 || command.some((a) => typeof a !== 'string' || a.length === 0)) {
      throw new HostingStacksError(scope, `${p}.command`, command, 'must be a non-empty argv list of non-empty strings');
    }
    const minutes = this.props.timeoutMinutes ?? 30;
    requireIntegerInRange(scope, `${p}.timeoutMinutes`, minutes, 1, 1440);
    return { kind: 'command', workingDirectory, command: [...command], timeoutSeconds: minutes * 60 };
  }
}
