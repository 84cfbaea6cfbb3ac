/**
 * What client-node's KubeConfig module (dist/config.js) imports from the generated client's index, without the rest
 * of that index: every generated API class and model. KubeConfig uses these two only in makeApiClient, which the
 * controller never calls. `leanClientNode()` has dist/config.js load this module in place of dist/gen/index.js.
 */
export { createConfiguration } from '@kubernetes/client-node/dist/gen/configuration.js';
export { ServerConfiguration } from '@kubernetes/client-node/dist/gen/servers.js';
