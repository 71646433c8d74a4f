/** Realistic networks for the benchmark: profiles, the delay proxy (in-process or as its own process), and the checks of the emulation. */
export * from './profiles.ts';
export { startProxyProcess, type ProxyProcess } from './proxy-process.ts';
export { checkNetwork, type NetworkCheck } from './check.ts';
