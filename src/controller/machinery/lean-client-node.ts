import { registerHooks } from 'node:module';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';

const CONFIG_MODULE = '/@kubernetes/client-node/dist/config.js';
const GENERATED_INDEX = './gen/index.js';

let registered = false;

/**
 * Makes client-node's KubeConfig module load `kubeconfig-imports` instead of the generated client's index
 * (dist/gen/index.js), which it imports for two functions of makeApiClient and which loads every generated API
 * class and model: about 40 MB of resident memory and 15 MB of heap that the controller never uses. Call it before
 * client-node is first imported (the `run` command does, before it loads the controller). Nothing depends on it:
 * without it, or if client-node is already loaded, the full index loads and everything works the same. Should a
 * later client-node import more from that index, loading fails at once, naming the missing export.
 */
export function leanClientNode(): void {
  if (registered) return;
  registered = true;
  // The stand-in next to this module: .ts when running the sources, .js when running dist/.
  const standIn = new URL(`./kubeconfig-imports${extname(fileURLToPath(import.meta.url))}`, import.meta.url)
    .href;
  registerHooks({
    resolve(specifier, context, nextResolve) {
      if (specifier === GENERATED_INDEX && context.parentURL?.endsWith(CONFIG_MODULE))
        return { url: standIn, shortCircuit: true };
      return nextResolve(specifier, context);
    },
  });
}
