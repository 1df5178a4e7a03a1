export { startEmbedded, type EmbeddedOptions } from './embedded.ts'
export { spawnService, started, startStack, type StackOptions, type StackSystem } from './stack.ts'
export { SERVICES, type RunningSystem, type ServiceName } from './system.ts'
