/**
 * Bounds on what unpacking one release archive may produce. A small gzip body can inflate a
 * thousandfold, so the upload limit alone bounds nothing: these cap the unpacked tar stream,
 * the number of entries and each entry, and unpacking stops the moment one is crossed.
 */
export interface ArchiveLimits {
  /** Unpacked tar bytes (headers and padding included), over the whole archive. */
  readonly maxUnpackedBytes: number;
  readonly maxEntries: number;
  /** The content of any one entry. */
  readonly maxEntryBytes: number;
}

export const DEFAULT_ARCHIVE_LIMITS: ArchiveLimits = {
  maxUnpackedBytes: 64 * 1_048_576,
  maxEntries: 10_000,
  maxEntryBytes: 32 * 1_048_576,
};
