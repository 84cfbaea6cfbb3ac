/**
 * The parts of @kubernetes/client-node the controller uses, each imported from its own module. The package's index
 * also loads every generated API class and model, about 40 MB of resident memory that a controller working on
 * plain JSON never uses (docs/controller-machinery.md, "Memory"). Types still come from the package through
 * `import type`, which costs nothing at run time.
 */
export { KubeConfig } from '@kubernetes/client-node/dist/config.js';
export { Exec } from '@kubernetes/client-node/dist/exec.js';
export { V1MicroTime } from '@kubernetes/client-node/dist/types.js';
export { ApiException } from '@kubernetes/client-node/dist/gen/apis/exception.js';
export {
  HttpMethod,
  RequestContext,
  ResponseContext,
  wrapHttpLibrary,
} from '@kubernetes/client-node/dist/gen/http/http.js';
