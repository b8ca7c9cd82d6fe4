/**
 * `hosting-stacks/planning`: campaign planning outside a stack. Demand traces (and their CSV), the
 * simulator that replays a trace against a tier's scaling plan (`scalingRules.plan`), the demand
 * chart of a simulation, and the schedule a campaign calendar compiles to. The scaling constructs
 * themselves (`ScalingRules`, `CampaignCalendar`, `CapacityModel`, ...) are in `hosting-stacks`.
 */
export { ScalingMetric } from './scaling/scaling-model';
export type { CapacityPlan, ReactiveRulePlan, ScheduledWindowPlan, TierScalingPlan } from './scaling/scaling-model';
export { formatTraceCsv, parseTraceCsv, TRACE_CSV_HEADER, TRACE_RESOLUTIONS, traceMinutes, traceTime, validateTrace } from './scaling/demand-trace';
export type { DemandTrace, TraceResolutionMinutes } from './scaling/demand-trace';
export { ScalingEventKind, simulate, staticPlanForPeak, validatePlan } from './scaling/simulator';
export type { ScalingEvent, SimulationOptions, SimulationResult, SimulationSeries } from './scaling/simulator';
export { renderDemandChart } from './scaling/svg-chart';
export type { DemandChartOptions } from './scaling/svg-chart';
export { buildScalingSchedule } from './scaling/scaling-schedule';
export type { ScalingSchedule, ScalingStep, ScheduledVariable } from './scaling/scaling-schedule';
