package io.stratacache.backend.ssd;

import io.stratacache.core.ArtifactId;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Where the SSD tier keeps its files. A record's name is the SHA-256 of its id's UTF-8 bytes in
 * hex, so no id can name a path outside the directory, and two levels of one hex digit each
 * spread the records over 256 directories.
 *
 * <pre>
 *  path/
 *  ├── .lock                      locked (flock) while a layer has the directory open
 *  ├── index.journal              the persisted index (see SsdIndexJournal)
 *  ├── corrupt/                   quarantined files, never read again: NAME.N
 *  └── 0/ .. f/                   first hex digit of the name
 *      └── 0/ .. f/               second hex digit
 *          ├── 3fa9..c1.scr       one SCR1 record (64 hex digits + ".scr")
 *          └── 3fa9..c1.17.tmp    a record being written; removed at open
 * </pre>
 */
final class SsdPaths {
  static final String RECORD_SUFFIX = ".scr";
  static final String TEMP_SUFFIX = ".tmp";
  static final String LOCK_FILE = ".lock";
  static final String QUARANTINE_DIR = "corrupt";
  static final int HASH_HEX_DIGITS = 64;

  private static final HexFormat HEX = HexFormat.of();
  private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(SsdPaths::newSha256);

  private final Path root;

  SsdPaths(Path root) {
    this.root = root;
  }

  Path root() {
    return root;
  }

  Path lockFile() {
    return root.resolve(LOCK_FILE);
  }

  Path journalFile() {
    return root.resolve(SsdIndexJournal.FILE);
  }

  Path quarantineDir() {
    return root.resolve(QUARANTINE_DIR);
  }

  /** The 256 leaf directories, {@code 0/0} to {@code f/f}. */
  Path leafDir(int index) {
    return root.resolve(Character.toString(hexDigit(index >>> 4))).resolve(Character.toString(hexDigit(index & 15)));
  }

  /** Index (0 to 255) of the leaf directory of a record whose name is {@code hash}. */
  static int leafIndex(String hash) {
    return Character.digit(hash.charAt(0), 16) << 4 | Character.digit(hash.charAt(1), 16);
  }

  /** The file that holds {@code id}'s record. */
  Path recordFile(ArtifactId id) {
    return recordFile(hash(id));
  }

  Path recordFile(String hash) {
    return root.resolve(hash.substring(0, 1)).resolve(hash.substring(1, 2)).resolve(hash + RECORD_SUFFIX);
  }

  /** A fresh temporary file beside {@code record}, unique by {@code n}. */
  static Path tempFile(Path record, long n) {
    String name = record.getFileName().toString();
    return record.resolveSibling(name.substring(0, HASH_HEX_DIGITS) + "." + n + TEMP_SUFFIX);
  }

  static boolean isRecordName(String name) {
    return name.length() == HASH_HEX_DIGITS + RECORD_SUFFIX.length() && name.endsWith(RECORD_SUFFIX) && isHex(name, HASH_HEX_DIGITS);
  }

  static boolean isTempName(String name) {
    return name.endsWith(TEMP_SUFFIX) && name.length() > HASH_HEX_DIGITS + 1 && isHex(name, HASH_HEX_DIGITS);
  }

  /**
   * The first 16 hex digits of a record's name (or of {@link #hash}) as a number: the key by which
   * the index is checked against the directory without opening files.
   */
  static long nameKey(String name) {
    return Long.parseUnsignedLong(name, 0, 16, 16);
  }

  /** SHA-256 of the id's UTF-8 bytes, 64 lower-case hex digits. */
  static String hash(ArtifactId id) {
    MessageDigest md = SHA256.get();
    return HEX.formatHex(md.digest(id.value().getBytes(StandardCharsets.UTF_8)));
  }

  private static boolean isHex(String s, int n) {
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
        return false;
      }
    }
    return true;
  }

  private static char hexDigit(int v) {
    return Character.forDigit(v, 16);
  }

  private static MessageDigest newSha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JDK", e);
    }
  }
}
