/** Realistic networks for the benchmark: profiles, the delay proxy (in-process or as its own process), and the checks of the emulation. */
export * from './profiles.ts';
export { createDelayProxy, type DelayProxy, type DelayProxyOptions, type ProxyStats } from './proxy.ts';
export { startProxyProcess, type ProxyProcess, type ProxyProcessOptions } from './proxy-process.ts';
export { checkNetwork, measureRtt, measureThroughput, networkCheckSchema, type NetworkCheck, type ThroughputCheck } from './ping.ts';
export { formatChecks } from './table.ts';
