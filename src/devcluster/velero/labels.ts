import { createHash } from 'node:crypto';

export const RESTORE_NAME_LABEL = 'velero.io/restore-name';
export const BACKUP_NAME_LABEL = 'velero.io/backup-name';

/** Velero's label-value rule: a value over 63 characters becomes its first 57 plus 6 hex of its SHA-256. */
export function veleroLabelValue(value: string): string {
  if (value.length <= 63) return value;
  return value.slice(0, 57) + createHash('sha256').update(value).digest('hex').slice(0, 6);
}
