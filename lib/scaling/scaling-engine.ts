/**
 * How a stack realises its tiers' reactive scaling rules. The scheduled windows are realised the same
 * way by both (Terraform sets the count variable at the window times); the reactive half differs.
 *
 * Pick {@link ScalingEngine.HEAT_AODH} only when the cloud's catalog lists both `orchestration`
 * (Heat) and `alarming` (Aodh) with Gnocchi metrics (`openstack catalog list`); OVHcloud Public Cloud
 * has neither alarming nor a metrics API for instances, so its stacks use the default.
 *
 * A stack picks one with a named constant and builds the matching construct over the same
 * `ScalingRules`:
 *
 * ```ts
 * const ENGINE = ScalingEngine.TERRAFORM_SCHEDULE_AND_PROMETHEUS; // OVHcloud: no Aodh
 * if (ENGINE === ScalingEngine.HEAT_AODH) new HeatAutoscaling(this, 'FrontendScaling', { rules, pool });
 * else new PrometheusScaling(this, 'Monitoring', { vswitch, rules: [rules] });
 * ```
 */
export enum ScalingEngine {
  /**
   * A monitoring server ({@link PrometheusScaling}): Prometheus alerts, Alertmanager calls the
   * scaling hook, which sets the count variable and runs Terraform. Works on any OpenStack (the default).
   */
  TERRAFORM_SCHEDULE_AND_PROMETHEUS = 'terraform-schedule-and-prometheus',
  /** A Heat stack with an AutoScalingGroup, scaling policies and Aodh alarms ({@link HeatAutoscaling}); CPU rules only. */
  HEAT_AODH = 'heat-aodh',
}

/** The default engine: OVHcloud has no Aodh. */
export const DEFAULT_SCALING_ENGINE = ScalingEngine.TERRAFORM_SCHEDULE_AND_PROMETHEUS;
