package io.stratacache.backend.cxl;

import io.stratacache.core.ArtifactId;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The 128 bits of SHA-256 of an id by which the region indexes it; {@link #fragment()} (32 bits)
 * is what an index bucket keeps.
 *
 * @param hi the first eight bytes of the digest, big-endian
 * @param lo the next eight bytes
 */
record CxlHash(long hi, long lo) {
  private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JDK", e);
    }
  });

  static CxlHash of(ArtifactId id) {
    byte[] d = SHA256.get().digest(id.value().getBytes(StandardCharsets.UTF_8));
    long hi = 0;
    long lo = 0;
    for (int i = 0; i < 8; i++) {
      hi = hi << 8 | (d[i] & 0xff);
      lo = lo << 8 | (d[8 + i] & 0xff);
    }
    return new CxlHash(hi, lo);
  }

  int fragment() {
    return (int) lo;
  }
}
