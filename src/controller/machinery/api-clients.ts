import {
  AppsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  EventsV1Api,
  ServerConfiguration,
  createConfiguration,
} from '@kubernetes/client-node';
import type { HttpLibrary, KubeConfig } from '@kubernetes/client-node';
import { dispatcherHttpLibrary } from './dispatcher-http-library.ts';
import { instrumentedHttpLibrary } from './transport.ts';
import type { TransportOptions } from './transport.ts';

export interface ApiClientOptions extends TransportOptions {
  userAgent?: string;
  /** The transport; defaults to undici's Dispatcher.request (dispatcherHttpLibrary). */
  httpLibrary?: HttpLibrary;
}

export interface ApiClients {
  core: CoreV1Api;
  apps: AppsV1Api;
  customObjects: CustomObjectsApi;
  coordination: CoordinationV1Api;
  events: EventsV1Api;
}

/**
 * client-node's typed API clients over the instrumented transport, sharing one rate limiter and one set of metrics.
 * The controller itself works on plain JSON (KubeJsonClient) and does not load these: importing them loads every
 * generated model.
 */
export function createApiClients(kubeConfig: KubeConfig, options: ApiClientOptions): ApiClients {
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster) throw new Error('kubeconfig has no current cluster');
  const httpApi = instrumentedHttpLibrary(options.httpLibrary ?? dispatcherHttpLibrary(), options);
  const userAgent = options.userAgent ?? 'restore-hooks';
  const configuration = createConfiguration({
    baseServer: new ServerConfiguration(cluster.server, {}),
    authMethods: { default: kubeConfig },
    httpApi,
    promiseMiddleware: [
      {
        pre: async (context) => {
          context.setHeaderParam('User-Agent', userAgent);
          return context;
        },
        post: async (context) => context,
      },
    ],
  });
  return {
    core: new CoreV1Api(configuration),
    apps: new AppsV1Api(configuration),
    customObjects: new CustomObjectsApi(configuration),
    coordination: new CoordinationV1Api(configuration),
    events: new EventsV1Api(configuration),
  };
}
