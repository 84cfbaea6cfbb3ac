export { ExecEndpoint, parseExecQuery } from './endpoint.ts';
export type { ExecEndpointOptions, ExecTargetResolver } from './endpoint.ts';
export {
  CHANNEL,
  EXEC_SUBPROTOCOLS,
  exitCodeStatus,
  negotiateSubprotocol,
  successStatus,
} from './protocol.ts';
export type { ExecStatus } from './protocol.ts';
export { CommandNotStartedError } from './runner.ts';
export type { ExecRequest, ExecRunner, ExecSession } from './runner.ts';
export { SimulatedExecRunner } from './simulator.ts';
export type { ExecHandler, ExecMatch, ExecRecord } from './simulator.ts';
export { execContainer, podExecResolver } from './target.ts';
