/** Points on the Earth and the maths of moving between them, shared by the services. */
export * from './sphere.ts'
export { motion, type TimedPoint } from './motion.ts'
