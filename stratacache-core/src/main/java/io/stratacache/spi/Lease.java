package io.stratacache.spi;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.LeaseClosedException;
import java.lang.foreign.MemorySegment;

/**
 * A loaded artifact. While a lease is open its bytes are neither evicted nor reused; closing it
 * hands them back. Leases are not thread-confined: one thread may load and another close.
 *
 * <p>{@link #segment()} is a read-only view of the tier's bytes (zero copies). Calling any
 * accessor after {@link #close()} throws {@link LeaseClosedException}; a lease is closed at most
 * once (further closes do nothing).
 */
public interface Lease extends AutoCloseable {
  /** The artifact's id. */
  ArtifactId id();

  /**
   * The artifact's meta.
   *
   * @throws LeaseClosedException if the lease was closed
   */
  ArtifactMeta meta();

  /** Name of the tier the bytes come from. */
  String tier();

  /**
   * A read-only view of the payload.
   *
   * @throws LeaseClosedException if the lease was closed
   */
  MemorySegment segment();

  /** Payload length in bytes. */
  long size();

  /** Whether the lease is still open. */
  boolean isOpen();

  /** Copies the payload into {@code dst} at offset 0; one copy. */
  default void copyTo(MemorySegment dst) {
    MemorySegment src = segment();
    MemorySegment.copy(src, 0, dst, 0, src.byteSize());
  }

  /** Releases the bytes. Idempotent. */
  @Override
  void close();
}
