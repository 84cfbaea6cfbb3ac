import { createHash } from 'node:crypto';

export const RESTORE_NAME_LABEL = 'velero.io/restore-name';
export const BACKUP_NAME_LABEL = 'velero.io/backup-name';

/**
 * The label value Velero writes for a name: the name itself when it fits in 63 characters, else its first 57
 * characters followed by the first 6 hex digits of its SHA-256.
 */
export function veleroLabelValue(name: string): string {
  if (name.length <= 63) return name;
  return name.slice(0, 57) + createHash('sha256').update(name).digest('hex').slice(0, 6);
}
