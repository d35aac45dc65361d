package io.stratacache.spi;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.LeaseClosedException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

/**
 * A lease whose read-only payload view lives in an arena of the lease's own: after {@link
 * #close()} even a segment reference kept by the caller faults on access instead of reading
 * whatever reuses the memory. The price is one shared-arena close per lease (a JVM-wide handshake,
 * about 18 µs on JDK 25), which suits media whose loads cost more than that (files, mapped
 * regions); the CPU tier's leases skip it and document why.
 *
 * <p>Subclasses give the bytes back to their layer in {@link #release()}, called once, after the
 * view's arena is closed.
 */
public abstract class ArenaScopedLease implements Lease {
  private final ArtifactId id;
  private final String tier;
  private final ArtifactMeta meta;
  private final Arena arena = Arena.ofShared();
  private final MemorySegment payload;
  private final AtomicBoolean open = new AtomicBoolean(true);

  /**
   * @param view makes the payload view in the arena it is given (e.g. by {@code reinterpret})
   */
  protected ArenaScopedLease(ArtifactId id, String tier, ArtifactMeta meta, Function<Arena, MemorySegment> view) {
    this.id = Objects.requireNonNull(id, "id");
    this.tier = Objects.requireNonNull(tier, "tier");
    this.meta = Objects.requireNonNull(meta, "meta");
    this.payload = view.apply(arena).asReadOnly();
  }

  /** Hands the bytes back to the layer; called once, by the first {@link #close()}. */
  protected abstract void release();

  @Override
  public final ArtifactId id() {
    return id;
  }

  @Override
  public final ArtifactMeta meta() {
    checkOpen();
    return meta;
  }

  @Override
  public final String tier() {
    return tier;
  }

  @Override
  public final MemorySegment segment() {
    checkOpen();
    return payload;
  }

  @Override
  public final long size() {
    return payload.byteSize();
  }

  @Override
  public final boolean isOpen() {
    return open.get();
  }

  @Override
  public final void copyTo(MemorySegment dst) {
    checkOpen();
    try {
      MemorySegment.copy(payload, 0, dst, 0, payload.byteSize());
    } catch (IllegalStateException e) {
      if (!open.get()) {
        throw closedError(e);
      }
      throw e;
    }
  }

  @Override
  public final void close() {
    if (open.compareAndSet(true, false)) {
      try {
        arena.close();
      } finally {
        release();
      }
    }
  }

  private void checkOpen() {
    if (!open.get()) {
      throw closedError(null);
    }
  }

  private LeaseClosedException closedError(Throwable cause) {
    return new LeaseClosedException("lease on " + id + " from tier '" + tier + "' is closed", cause);
  }
}
