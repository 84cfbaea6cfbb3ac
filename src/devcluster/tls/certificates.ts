/** The devcluster's serving certificates come from the shared module (the controller's webhook uses it too). */
export { generateServingCertificates } from '../../kube/certificates.ts';
export type { ServingCertificates } from '../../kube/certificates.ts';
