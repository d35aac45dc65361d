package io.stratacache.backend.redis;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.CodecException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Function;

/**
 * Maps artifact ids to Redis keys and back. Every key of one artifact carries the same hash tag,
 * so a cluster keeps them in one slot:
 *
 * <pre>
 *   head:  &lt;prefix&gt;{&lt;encoded id&gt;}
 *   part:  &lt;prefix&gt;{&lt;encoded id&gt;}#&lt;generation, 16 hex digits&gt;.&lt;index&gt;
 * </pre>
 *
 * <p>The encoded id is the id's UTF-8 bytes with every byte outside {@code '!'..'~'}, and each of
 * {@code % { } # * ? [ ] \}, written as {@code %XX} (two upper-case hex digits); the rest is kept
 * as is. The encoding is a bijection between valid ids and encoded strings: {@link #decodeHead}
 * refuses any other spelling (lower-case hex, an escape of a byte that is kept), so a key maps to
 * at most one id, and a foreign key under the prefix maps to none. The prefix may use neither
 * braces nor glob characters, so the hash tag is always the encoded id and a {@code SCAN MATCH
 * <prefix>{*}} finds exactly the heads.
 */
final class RedisKeys {
  private static final byte[] HEX = "0123456789ABCDEF".getBytes(StandardCharsets.US_ASCII);
  private static final String SPECIAL = "%{}#*?[]\\";

  private final String prefix;
  private final byte[] prefixBytes;

  RedisKeys(String prefix) {
    checkPrefix(prefix, reason -> new IllegalArgumentException("key prefix: \"" + prefix + "\" (expected: " + reason + ")"));
    this.prefix = prefix;
    this.prefixBytes = prefix.getBytes(StandardCharsets.US_ASCII);
  }

  /**
   * Checks a key prefix: 1 to 256 printable ASCII characters, no space, no brace, no glob
   * character.
   */
  static void checkPrefix(String prefix, Function<String, ? extends RuntimeException> error) {
    String expected = "1 to 256 printable ASCII characters without space, braces, '#', '%' or glob characters *?[]\\";
    if (prefix.isEmpty() || prefix.length() > 256) {
      throw error.apply(expected);
    }
    for (int i = 0; i < prefix.length(); i++) {
      char c = prefix.charAt(i);
      if (c < 0x21 || c > 0x7e || SPECIAL.indexOf(c) >= 0) {
        throw error.apply(expected);
      }
    }
  }

  String prefix() {
    return prefix;
  }

  /** The SCAN pattern matching every head key of the plane. */
  byte[] headPattern() {
    return (prefix + "{*}").getBytes(StandardCharsets.US_ASCII);
  }

  /** The key of {@code id}'s head. */
  byte[] head(ArtifactId id) {
    byte[] utf8 = id.toUtf8();
    ByteArrayOutputStream out = new ByteArrayOutputStream(prefixBytes.length + utf8.length + 8);
    out.writeBytes(prefixBytes);
    out.write('{');
    for (byte b : utf8) {
      int u = b & 0xff;
      if (kept(u)) {
        out.write(u);
      } else {
        out.write('%');
        out.write(HEX[u >>> 4]);
        out.write(HEX[u & 0xf]);
      }
    }
    out.write('}');
    return out.toByteArray();
  }

  /** The key of part {@code index} (1-based) of generation {@code generation} of {@code head}. */
  static byte[] part(byte[] head, long generation, int index) {
    String suffix = "#" + String.format("%016x", generation) + "." + index;
    byte[] s = suffix.getBytes(StandardCharsets.US_ASCII);
    byte[] out = new byte[head.length + s.length];
    System.arraycopy(head, 0, out, 0, head.length);
    System.arraycopy(s, 0, out, head.length, s.length);
    return out;
  }

  /**
   * The id whose head key is {@code key}.
   *
   * @throws CodecException if {@code key} is not the head key of any valid id under the prefix
   */
  ArtifactId decodeHead(byte[] key) {
    int start = prefixBytes.length + 1;
    if (key.length < start + 2 || key[key.length - 1] != '}' || key[start - 1] != '{') {
      throw new CodecException("redis key " + printable(key) + " (expected: " + prefix + "{<encoded id>})");
    }
    for (int i = 0; i < prefixBytes.length; i++) {
      if (key[i] != prefixBytes[i]) {
        throw new CodecException("redis key " + printable(key) + " (expected: a key starting with " + prefix + ")");
      }
    }
    ByteArrayOutputStream utf8 = new ByteArrayOutputStream(key.length);
    for (int i = start; i < key.length - 1; i++) {
      int u = key[i] & 0xff;
      if (u == '%') {
        if (i + 2 >= key.length - 1) {
          throw new CodecException("redis key " + printable(key) + ": '%' at " + i + " (expected: %XX)");
        }
        int hi = hex(key[i + 1]);
        int lo = hex(key[i + 2]);
        int b = hi << 4 | lo;
        if (hi < 0 || lo < 0 || kept(b)) {
          throw new CodecException("redis key " + printable(key) + ": escape at " + i + " (expected: %XX, upper-case, of a byte that must be escaped)");
        }
        utf8.write(b);
        i += 2;
      } else if (kept(u)) {
        utf8.write(u);
      } else {
        throw new CodecException("redis key " + printable(key) + ": byte 0x" + Integer.toHexString(u) + " at " + i + " (expected: escaped)");
      }
    }
    return ArtifactId.fromUtf8(utf8.toByteArray());
  }

  private static boolean kept(int u) {
    return u >= 0x21 && u <= 0x7e && SPECIAL.indexOf(u) < 0;
  }

  private static int hex(byte b) {
    if (b >= '0' && b <= '9') {
      return b - '0';
    }
    if (b >= 'A' && b <= 'F') {
      return b - 'A' + 10;
    }
    return -1;
  }

  /** {@code key} for a message: printable ASCII kept, the rest as {@code \xNN}, cut at 120. */
  static String printable(byte[] key) {
    StringBuilder sb = new StringBuilder("\"");
    for (int i = 0; i < Math.min(key.length, 120); i++) {
      int u = key[i] & 0xff;
      if (u >= 0x20 && u < 0x7f && u != '"' && u != '\\') {
        sb.append((char) u);
      } else {
        sb.append(String.format("\\x%02x", u));
      }
    }
    return sb.append(key.length > 120 ? "...\"" : "\"").toString();
  }
}
