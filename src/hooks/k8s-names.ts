/**
 * Kubernetes name and label syntax for hook validation, as one message or undefined. The rules themselves are
 * apimachinery's, in src/kube/name-rules.ts (pure, and the only copy in the project; the devcluster uses it too).
 */
import { validateDNS1123Label, validateLabelValue, validateQualifiedName } from '../kube/name-rules.ts';

const oneMessage = (errors: string[]): string | undefined =>
  errors.length > 0 ? errors.join('; ') : undefined;

/** Container names: a DNS-1123 label of at most 63 characters. */
export const dns1123LabelError = (value: string): string | undefined =>
  oneMessage(validateDNS1123Label(value));

/** Label keys: an optional DNS subdomain prefix and `/`, then a name of at most 63 characters. */
export const labelKeyError = (key: string): string | undefined => oneMessage(validateQualifiedName(key));

/** Label values: empty, or at most 63 characters of [A-Za-z0-9-_.] starting and ending alphanumeric. */
export const labelValueError = (value: string): string | undefined => oneMessage(validateLabelValue(value));

/** kube-apiserver's rule for a container image (validateContainerCommon): no leading or trailing whitespace. */
export function containerImageError(image: string): string | undefined {
  return image !== image.trim() ? 'must not have leading or trailing whitespace' : undefined;
}
