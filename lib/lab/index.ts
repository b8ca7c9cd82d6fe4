/**
 * `hosting-stacks/lab`: a local data plane of OpenStack for synthesized stacks (networks, port
 * security and security groups as Neutron enforces them, Octavia amphorae, servers booted from their
 * own user_data under systemd and cloud-init). Needs root, iproute2, nftables, systemd-nspawn and
 * debootstrap; see the README's "The lab".
 */
export * from './model';
export * from './lab';
export { LabBootSlots } from './boot-slots';
export { LabApplyError, LabApplyPlan, planLabApply } from './lab-apply';
export * from './probes';
export * from './kernel-limits';
export * from './internet';
export { readStackModel } from './stack-model';
export { LabNetwork } from './network';
export { LabServer } from './server';
export { Amphora } from './amphora';
export { ensureLabImage } from './image';
export { ensureLabRepo, packagesOfUserData } from './package-repo';
export { LabMetadataService, metadataDocuments, METADATA_ADDRESS } from './metadata-service';
export { FigureLog, FigureRun, FIGURES_DIR, FIGURES_FILE_ENV, figuresFile, formatFigureRecord, readFigures } from '../core/figures';
export type { Figure, FigureLogOptions, FigureRecord } from '../core/figures';
export { Progress } from '../core/progress';
export type { ProgressOptions } from '../core/progress';
