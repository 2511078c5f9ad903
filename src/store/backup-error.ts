/** What a backup or a restore holds, once checked. */
export interface BackupSummary {
  readonly bytes: number;
  readonly executions: number;
  /** The highest migration applied. */
  readonly migrationLevel: number;
}

/** The stable codes of a failed backup or restore (the CLI prints them as `error <code>:`). */
export type BackupErrorCode =
  | 'backup_source_not_found'
  | 'not_a_backup'
  | 'newer_schema'
  | 'restore_target_not_empty'
  | 'pg_tools_missing'
  | 'store_unreachable'
  | 'backup_failed'
  | 'restore_failed';

export class BackupError extends Error {
  readonly code: BackupErrorCode;
  constructor(code: BackupErrorCode, message: string) {
    super(message);
    this.name = 'BackupError';
    this.code = code;
  }
}
