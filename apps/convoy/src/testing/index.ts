/**
 * The system's test kit: what tests and benchmarks of the whole of Convoy share (a stack of every
 * service on fresh databases, the first admin's password, logging in, the live feed). The generic
 * helpers they build on (databases, vhosts, `eventually`) are `@convoy/platform/testing`.
 */
export { login, TEST_ADMIN_PASSWORD } from './login.ts'
export { openLiveFeed, type LiveFeed } from './live-feed.ts'
export { startTestStack, type TestStack } from './test-stack.ts'
