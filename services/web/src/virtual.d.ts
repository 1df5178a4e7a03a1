declare module 'virtual:convoy-roads' {
  /** URL of the generated road drawing (see build/roads-plugin.ts). */
  const url: string
  export default url
}
