package io.stratacache.chain;

import io.stratacache.core.ArtifactId;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

/**
 * Self-describing test payloads: the first 16 bytes hold the id's hash and a version, the rest is
 * a pseudo-random stream seeded by both. A payload can therefore be checked on its own: it proves
 * which id and which version it was stored for, and that no byte of it changed.
 */
public final class Payloads {
  /** Bytes of the header: the id's hash and the version. */
  public static final int HEADER = 16;
  private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  private Payloads() {}

  /** A payload of {@code size} bytes for version {@code version} of {@code id}. */
  public static MemorySegment make(Arena arena, ArtifactId id, long version, int size) {
    if (size < HEADER) {
      throw new IllegalArgumentException("size: " + size + " (expected: at least " + HEADER + ")");
    }
    MemorySegment s = arena.allocate(size, 8);
    fill(s, id, version);
    return s;
  }

  /** Fills {@code s} (at least {@link #HEADER} bytes) with the payload of version {@code version} of {@code id}. */
  public static void fill(MemorySegment s, ArtifactId id, long version) {
    long size = s.byteSize();
    if (size < HEADER) {
      throw new IllegalArgumentException("size: " + size + " (expected: at least " + HEADER + ")");
    }
    s.set(LONG, 0, idHash(id));
    s.set(LONG, 8, version);
    SplittableRandom r = new SplittableRandom(idHash(id) * 31 + version);
    long i = HEADER;
    for (; i + 8 <= size; i += 8) {
      s.set(LONG, i, r.nextLong());
    }
    for (; i < size; i++) {
      s.set(ValueLayout.JAVA_BYTE, i, (byte) r.nextInt());
    }
  }

  /** The version a payload was made for, after checking that every byte is what it should be. */
  public static long verify(ArtifactId id, MemorySegment payload) {
    long size = payload.byteSize();
    if (size < HEADER) {
      throw new AssertionError(id + ": payload of " + size + " bytes (expected at least " + HEADER + ")");
    }
    long hash = payload.get(LONG, 0);
    if (hash != idHash(id)) {
      throw new AssertionError(id + ": payload belongs to another id (hash " + Long.toHexString(hash) + ")");
    }
    long version = payload.get(LONG, 8);
    SplittableRandom r = new SplittableRandom(idHash(id) * 31 + version);
    long i = HEADER;
    for (; i + 8 <= size; i += 8) {
      if (payload.get(LONG, i) != r.nextLong()) {
        throw new AssertionError(id + " v" + version + ": payload differs at byte " + i);
      }
    }
    for (; i < size; i++) {
      if (payload.get(ValueLayout.JAVA_BYTE, i) != (byte) r.nextInt()) {
        throw new AssertionError(id + " v" + version + ": payload differs at byte " + i);
      }
    }
    return version;
  }

  static long idHash(ArtifactId id) {
    long h = 0xcbf29ce484222325L;
    for (byte b : id.toUtf8()) {
      h = (h ^ b) * 0x100000001b3L;
    }
    return h;
  }
}
