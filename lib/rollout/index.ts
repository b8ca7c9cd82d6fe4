/**
 * `hosting-stacks/rollout`: the rollout as a library (`hosting-stacks-rollout` is its command
 * line). Replaces the servers whose configuration changed, one at a time, in the order of the
 * `rollout.json` a stack writes next to its Terraform, each waiting for the last to report ready.
 */
export { readRolloutPlan, RolloutError, runRollout } from './rollout';
export type { CommandResult, CommandRunner, RolloutOptions, RolloutResult, RolloutServerStatus } from './rollout';
export { ROLLOUT_PLAN_FILE, rolloutPlanOf } from './rollout-plan';
export type { RolloutPlan, RolloutPlanServer } from './rollout-plan';
