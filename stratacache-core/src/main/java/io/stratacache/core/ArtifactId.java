package io.stratacache.core;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * The name of an artifact: a non-empty string of at most {@value #MAX_UTF8_BYTES} UTF-8 bytes
 * with no control characters. Ids are compared by value.
 *
 * <p>Namespaced ids join their parts with {@code '/'}: {@code ArtifactId.of("kv", "llama3",
 * "c0ffee")} is {@code kv/llama3/c0ffee}. A part may not be empty or contain {@code '/'}, so the
 * parts of a namespaced id can always be recovered with {@link #parts()}.
 */
public final class ArtifactId implements Comparable<ArtifactId> {
  /** Longest id, in UTF-8 bytes. */
  public static final int MAX_UTF8_BYTES = 1024;

  /** Separator between the parts of a namespaced id. */
  public static final char SEPARATOR = '/';

  private final String value;
  private final byte[] utf8;

  private ArtifactId(String value, byte[] utf8) {
    this.value = value;
    this.utf8 = utf8;
  }

  /**
   * Returns the id for {@code value}.
   *
   * @throws IllegalArgumentException if {@code value} is empty, longer than {@value
   *     #MAX_UTF8_BYTES} UTF-8 bytes, or contains a control character
   */
  public static ArtifactId of(String value) {
    Objects.requireNonNull(value, "artifact id");
    if (value.isEmpty()) {
      throw new IllegalArgumentException("artifact id: \"\" (expected: 1 to " + MAX_UTF8_BYTES + " UTF-8 bytes)");
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (Character.isISOControl(c)) {
        throw new IllegalArgumentException(
            "artifact id: " + quote(value) + " has control character U+"
                + String.format("%04X", (int) c) + " at index " + i + " (expected: no control characters)");
      }
      if (Character.isSurrogate(c)
          && !(Character.isHighSurrogate(c) && i + 1 < value.length() && Character.isLowSurrogate(value.charAt(i + 1)))
          && !(Character.isLowSurrogate(c) && i > 0 && Character.isHighSurrogate(value.charAt(i - 1)))) {
        throw new IllegalArgumentException(
            "artifact id: " + quote(value) + " has an unpaired surrogate at index " + i + " (expected: valid Unicode)");
      }
    }
    byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
    if (utf8.length > MAX_UTF8_BYTES) {
      throw new IllegalArgumentException(
          "artifact id: " + utf8.length + " UTF-8 bytes starting " + quote(value.substring(0, 32))
              + " (expected: at most " + MAX_UTF8_BYTES + ")");
    }
    return new ArtifactId(value, utf8);
  }

  /**
   * Returns the id whose text is the printable ASCII in {@code ascii[from..to)}: the fast way to
   * name artifacts whose ids are generated (hex digests and the like), with no per-character
   * Unicode checks and one copy of the bytes per form.
   *
   * @throws IllegalArgumentException if the range is out of bounds, empty or longer than {@value
   *     #MAX_UTF8_BYTES} bytes, or holds a byte outside {@code 0x20..0x7e}
   */
  public static ArtifactId ofAscii(byte[] ascii, int from, int to) {
    Objects.requireNonNull(ascii, "ascii");
    if (from < 0 || to > ascii.length || from >= to || to - from > MAX_UTF8_BYTES) {
      throw new IllegalArgumentException(
          "ascii range: [" + from + ", " + to + ") of " + ascii.length + " bytes (expected: 1 to " + MAX_UTF8_BYTES
              + " bytes in bounds)");
    }
    int bad = 0;
    for (int i = from; i < to; i++) {
      int b = ascii[i];
      bad |= (b - 0x20) | (0x7e - b);
    }
    if (bad < 0) {
      for (int i = from; i < to; i++) {
        if (ascii[i] < 0x20 || ascii[i] > 0x7e) {
          throw new IllegalArgumentException(
              "ascii: byte 0x" + String.format("%02x", ascii[i] & 0xff) + " at index " + i
                  + " (expected: printable ASCII, 0x20 to 0x7e)");
        }
      }
    }
    byte[] utf8 = Arrays.copyOfRange(ascii, from, to);
    return new ArtifactId(new String(utf8, StandardCharsets.ISO_8859_1), utf8);
  }

  /**
   * Returns the namespaced id {@code namespace/part1/part2/...}.
   *
   * @throws IllegalArgumentException if a part is empty or contains {@code '/'}, or the joined id
   *     is not a valid id
   */
  public static ArtifactId of(String namespace, String... parts) {
    StringBuilder sb = new StringBuilder(64);
    appendPart(sb, namespace, 0);
    for (int i = 0; i < parts.length; i++) {
      sb.append(SEPARATOR);
      appendPart(sb, parts[i], i + 1);
    }
    return of(sb.toString());
  }

  private static void appendPart(StringBuilder sb, String part, int index) {
    Objects.requireNonNull(part, "artifact id part");
    if (part.isEmpty() || part.indexOf(SEPARATOR) >= 0) {
      throw new IllegalArgumentException(
          "artifact id part " + index + ": " + quote(part) + " (expected: non-empty, without '" + SEPARATOR + "')");
    }
    sb.append(part);
  }

  /**
   * Decodes an id from its UTF-8 bytes.
   *
   * @throws CodecException if the bytes are not valid UTF-8 or not a valid id
   */
  public static ArtifactId fromUtf8(byte[] bytes) {
    var decoder = StandardCharsets.UTF_8.newDecoder();
    String s;
    try {
      s = decoder.decode(java.nio.ByteBuffer.wrap(bytes)).toString();
    } catch (java.nio.charset.CharacterCodingException e) {
      throw new CodecException("artifact id: " + bytes.length + " bytes are not valid UTF-8", e);
    }
    try {
      return of(s);
    } catch (IllegalArgumentException e) {
      throw new CodecException(e.getMessage(), e);
    }
  }

  /** The id as a string. */
  public String value() {
    return value;
  }

  /** The id's UTF-8 encoding; a fresh copy. */
  public byte[] toUtf8() {
    return utf8.clone();
  }

  /** Length of the UTF-8 encoding, in bytes. */
  public int utf8Length() {
    return utf8.length;
  }

  /** The parts of the id split at {@code '/'}; a plain id has one part. */
  public String[] parts() {
    return value.split(String.valueOf(SEPARATOR), -1);
  }

  /** Whether this id starts with {@code namespace + '/'}. */
  public boolean isIn(String namespace) {
    return value.length() > namespace.length()
        && value.startsWith(namespace)
        && value.charAt(namespace.length()) == SEPARATOR;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ArtifactId other && value.equals(other.value);
  }

  @Override
  public int hashCode() {
    return value.hashCode();
  }

  @Override
  public int compareTo(ArtifactId o) {
    return Arrays.compareUnsigned(utf8, o.utf8);
  }

  @Override
  public String toString() {
    return value;
  }

  private static String quote(String s) {
    StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
    int limit = Math.min(s.length(), 80);
    for (int i = 0; i < limit; i++) {
      char c = s.charAt(i);
      if (Character.isISOControl(c)) {
        sb.append(String.format("\\u%04x", (int) c));
      } else {
        sb.append(c);
      }
    }
    if (s.length() > limit) {
      sb.append("...");
    }
    return sb.append('"').toString();
  }
}
