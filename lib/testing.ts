/**
 * `hosting-stacks/testing`: checks for your own tests of a stack. The provider-schema check (a
 * stand-in for `terraform validate` where no provider can be downloaded), the check of the
 * Terraform templates in the synthesized JSON (and their evaluation with given variables), and the
 * resources of a type in a stack's synthesized Terraform. A stack's rendered host files are
 * `stack.renderHostFiles()`.
 */
export { checkProviderSchema, loadOpenstackProviderSchema } from './validation/provider-schema-check';
export type { ProviderSchemaDocument, SchemaAttribute, SchemaBlock, SchemaBlockType, SchemaType, SchemaViolation } from './validation/provider-schema-check';
export { checkTerraformTemplates, checkTerraformTemplateString, evaluateReplaceChain, evaluateTerraformTemplate } from './validation/terraform-template-check';
export type { TemplateContext, TemplateViolation } from './validation/terraform-template-check';
export { synthesizedJson, synthesizedResources } from './policy/terraform-facts';
export type { SynthesizedResource } from './policy/terraform-facts';
