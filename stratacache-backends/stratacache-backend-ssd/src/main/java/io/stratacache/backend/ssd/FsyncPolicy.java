package io.stratacache.backend.ssd;

import java.util.Locale;

/**
 * When the SSD tier forces written records to stable storage. Whatever the policy, a record that
 * a crash tore is never served: it fails its checksum and is quarantined.
 */
public enum FsyncPolicy {
  /**
   * Every store forces the record (fdatasync) before renaming it into place and then forces the
   * directory: when {@code put} returns, the artifact survives a power failure.
   */
  ALWAYS,
  /**
   * Nothing is forced; the kernel writes records back when it likes. A process crash loses
   * nothing that {@code put} returned for; a power failure or kernel crash may lose any artifact
   * not yet written back (on Linux typically the last 30 seconds of stores).
   */
  NEVER,
  /**
   * A background task forces the files stored since its last run every {@code fsync_interval_ms},
   * and once more on close: on Linux with one {@code syncfs(2)} of the directory's file system
   * (which also writes back other dirty data on it), elsewhere file by file. A process crash loses
   * nothing; a power failure loses at most the artifacts stored in the last {@code
   * fsync_interval_ms} plus the duration of one sync pass.
   */
  BATCH;

  /** The setting's value, e.g. {@code always}. */
  public String settingName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * Parses {@code always}, {@code never} or {@code batch}, case-insensitively.
   *
   * @throws IllegalArgumentException naming the value and the choices
   */
  public static FsyncPolicy parse(String text) {
    for (FsyncPolicy p : values()) {
      if (p.settingName().equalsIgnoreCase(text.trim())) {
        return p;
      }
    }
    throw new IllegalArgumentException("fsync: \"" + text + "\" (expected: always, never or batch)");
  }
}
