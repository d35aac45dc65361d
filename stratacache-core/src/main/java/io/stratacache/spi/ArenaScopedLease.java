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
 * The one implementation of the {@link Lease} contract: a read-only payload view bound to an arena
 * that is closed before the bytes are reused, so that even a segment reference kept by the caller
 * past {@link #close()} faults on access instead of reading whatever reuses the memory. Every
 * accessor checks that the lease is open.
 *
 * <p>Two ways to bind the view, by cost:
 *
 * <ul>
 *   <li><b>Shared arena</b> ({@link #ArenaScopedLease(ArtifactId, String, ArtifactMeta,
 *       MemorySegment)}, the cheap one): the view lives in an arena the layer shares between many
 *       leases, a {@link RefCountedArena} per mapping or per group of leases, and keeps open until
 *       the bytes may be reused. Taking and closing such a lease costs no arena operation; the
 *       layer pays one arena close per mapping or group. Between the lease's close and the
 *       arena's, a kept segment still reads this artifact's own bytes (never reused ones).
 *   <li><b>Own arena</b> ({@link #ArenaScopedLease(ArtifactId, String, ArtifactMeta, Function)}):
 *       the view lives in a shared arena of the lease's own, closed with the lease. Closing a
 *       shared arena is a handshake with every thread (about 20 µs here), so a 512-lease prefix
 *       costs about 10 ms this way; only for media whose loads cost more than that.
 * </ul>
 *
 * <p>Subclasses give the bytes back to their layer in {@link #release()}, called once, by the
 * first {@link #close()}, after the lease's own arena (if any) is closed.
 */
public abstract class ArenaScopedLease implements Lease {
  private final ArtifactId id;
  private final String tier;
  private final ArtifactMeta meta;
  private final Arena arena;
  private final MemorySegment payload;
  private final AtomicBoolean open = new AtomicBoolean(true);

  /**
   * A lease whose view lives in an arena of its own, closed with the lease.
   *
   * @param view makes the payload view in the arena it is given (e.g. by {@code reinterpret})
   */
  protected ArenaScopedLease(ArtifactId id, String tier, ArtifactMeta meta, Function<Arena, MemorySegment> view) {
    this.id = Objects.requireNonNull(id, "id");
    this.tier = Objects.requireNonNull(tier, "tier");
    this.meta = Objects.requireNonNull(meta, "meta");
    this.arena = Arena.ofShared();
    this.payload = view.apply(arena).asReadOnly();
  }

  /**
   * A lease over a view bound to an arena the layer shares between leases (see {@link
   * RefCountedArena}) and keeps open until {@link #release()} lets it close.
   *
   * @param view the payload, bound to the shared arena
   */
  protected ArenaScopedLease(ArtifactId id, String tier, ArtifactMeta meta, MemorySegment view) {
    this.id = Objects.requireNonNull(id, "id");
    this.tier = Objects.requireNonNull(tier, "tier");
    this.meta = Objects.requireNonNull(meta, "meta");
    this.arena = null;
    this.payload = Objects.requireNonNull(view, "view").asReadOnly();
  }

  /**
   * Whether the lease ended without being closed, because its layer closed; accessors then throw.
   * The default is never.
   */
  protected boolean ended() {
    return false;
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
    return open.get() && !ended();
  }

  @Override
  public final void copyTo(MemorySegment dst) {
    checkOpen();
    try {
      MemorySegment.copy(payload, 0, dst, 0, payload.byteSize());
    } catch (IllegalStateException e) {
      if (!isOpen()) {
        throw closedError(e);
      }
      throw e;
    }
  }

  @Override
  public final void close() {
    if (open.compareAndSet(true, false)) {
      try {
        if (arena != null) {
          arena.close();
        }
      } finally {
        release();
      }
    }
  }

  private void checkOpen() {
    if (!isOpen()) {
      throw closedError(null);
    }
  }

  private LeaseClosedException closedError(Throwable cause) {
    return new LeaseClosedException(
        "lease on " + id + " from tier '" + tier + "' " + (open.get() ? "ended when the tier was closed" : "is closed"),
        cause);
  }

  @Override
  public String toString() {
    return getClass().getSimpleName() + "[" + id + " in " + tier + ", " + payload.byteSize() + " bytes"
        + (isOpen() ? "" : ", closed") + "]";
  }
}
