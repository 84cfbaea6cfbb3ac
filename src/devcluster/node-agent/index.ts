export { DEFAULT_START_DELAY_MS, NODE_ADDRESS, NodeAgent } from './node-agent.ts';
export type { NodeAgentOptions } from './node-agent.ts';
export { AgentApiClient, AgentApiError } from './api-client.ts';
export type { AgentConnection } from './api-client.ts';
export { KubeletExecServer, parseKubeletExecPath } from './exec-server.ts';
