package io.stratacache.durable;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.ArtifactType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * What the crash writer stores, derived from the seed alone so that the parent can check every
 * byte a reopened tier serves: the {@code i}-th store of round {@code r} writes version {@code
 * r << 32 | i} of the id {@link #target} picks, with a size and contents that are functions of
 * the id and the version, and the version in its meta.
 */
final class CrashArtifacts {
  /** Ids per tier; stores replace them over and over. */
  static final int IDS = 600;

  static final int MAX_SIZE = 48 << 10;

  private static final long GOLDEN = 0x9E3779B97F4A7C15L;

  private CrashArtifacts() {}

  static ArtifactId id(String tier, int j) {
    return ArtifactId.of("crash", tier, "k" + j);
  }

  static long version(int round, int i) {
    return (long) round << 32 | i;
  }

  static int round(long version) {
    return (int) (version >>> 32);
  }

  static int index(long version) {
    return (int) version;
  }

  /** The id slot that store {@code i} of round {@code round} writes. */
  static int target(long seed, int round, int i) {
    return (int) Long.remainderUnsigned(mix(seed ^ mix(version(round, i) + GOLDEN)), IDS);
  }

  static ArtifactMeta meta(long version) {
    return ArtifactMeta.builder(ArtifactType.KV_BLOCKS).attribute("version", Long.toString(version)).build();
  }

  static int size(ArtifactId id, long version) {
    return 1 + (int) Long.remainderUnsigned(mix(id.value().hashCode() * GOLDEN ^ version), MAX_SIZE);
  }

  /** Writes the payload of {@code id} at {@code version} to the start of {@code dst}; returns its size. */
  static int fill(MemorySegment dst, ArtifactId id, long version) {
    int size = size(id, version);
    long x = mix(id.value().hashCode() ^ version * GOLDEN);
    for (int i = 0; i < size; i += 8) {
      x += GOLDEN;
      long v = mix(x);
      for (int b = 0; b < 8 && i + b < size; b++) {
        dst.set(ValueLayout.JAVA_BYTE, i + b, (byte) (v >>> (8 * b)));
      }
    }
    return size;
  }

  /** Whether {@code actual} is exactly the payload of {@code id} at {@code version}. */
  static boolean matches(MemorySegment actual, ArtifactId id, long version) {
    int size = size(id, version);
    if (actual.byteSize() != size) {
      return false;
    }
    MemorySegment expected = MemorySegment.ofArray(new byte[size]);
    fill(expected, id, version);
    return expected.mismatch(actual) == -1;
  }

  static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
