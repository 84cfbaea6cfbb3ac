/**
 * The labels and annotations restore-hooks writes besides the engine's applied-hooks record
 * (APPLIED_INIT_HOOKS_ANNOTATION). Everything the controller needs to stay idempotent across restarts lives on
 * the objects themselves.
 */

const PREFIX = 'restore-hooks.dev';

/** Label on hooked pod templates and replaced pods: the restore's `velero.io/restore-name` label value. */
export const RESTORE_LABEL = `${PREFIX}/restore`;
/** Annotation on a workload whose injected hooks were removed after the restore: the restore's namespace/name. */
export const CLEANED_UP_ANNOTATION = `${PREFIX}/cleaned-up`;
/**
 * Annotation on a Deployment this controller paused while it brings the hooks to its ReplicaSets: the restore's
 * namespace/name. Whoever finds it resumes the Deployment (replicaset-decision.ts).
 */
export const PAUSED_FOR_HOOKS_ANNOTATION = `${PREFIX}/paused-for-hooks`;
/**
 * Annotation on a workload whose hooks this controller put into its pod template although the admission webhooks
 * were served (the fallback after a bypass): `<why>/<restore namespace>/<restore name>`, why being `Unmarked` or
 * `PodsEscaped`. Written in the same patch as the hooks, so the AdmissionBypassed report can be derived from it on
 * every reconcile (and a replica killed right after the patch loses nothing).
 */
export const ADMISSION_BYPASSED_ANNOTATION = `${PREFIX}/admission-bypassed`;
/**
 * Annotation on a workload carrying the admission mark whose pending pods escaped admission (the pod webhook did not
 * answer under failurePolicy Ignore): `<rounds>/<restore namespace>/<restore name>;<uid>,<uid>…`, how many times this
 * controller deleted such pods so that their owner recreates them through admission, and the uids of the pods the
 * last round deletes (seen again, they are deleted again within that round). Written before each round's deletions,
 * so the bound (MAX_ESCAPE_ROUNDS, workload-decision.ts) holds across restarts and replicas.
 */
export const ESCAPED_PODS_DELETED_ANNOTATION = `${PREFIX}/escaped-pods-deleted`;
/**
 * Annotation on a workload whose template patch the API server refused as invalid (422): JSON
 * `{"restore": "<namespace>/<name>", "patch": "<hash of the template and the hook init containers>", "summary": "..."}`.
 * That patch is not sent again while neither changes, and the Restore's InitHooksApplied says why, whichever replica
 * looks.
 */
export const TEMPLATE_PATCH_REFUSED_ANNOTATION = `${PREFIX}/template-patch-refused`;
/** Annotation on a pod: the progress record of its exec hooks (src/controller/exec-hooks/exec-record.ts). */
export const EXEC_HOOKS_ANNOTATION = `${PREFIX}/exec-hooks`;
/** Annotation on a pod (or pod template): attempts per exec hook, overriding exec.retries.attempts. */
export const EXEC_RETRIES_ANNOTATION = `${PREFIX}/exec-retries`;
/**
 * Annotation the workload webhook puts on a workload labelled `velero.io/restore-name` by an identity that is not
 * Velero's (at CREATE, or by an UPDATE that set the label): the username. Kept on every later UPDATE; a workload
 * carrying it is never a Restore's member, at admission or on the reconcilers' path (membership.ts).
 */
export const UNTRUSTED_CREATOR_ANNOTATION = `${PREFIX}/untrusted-creator`;
