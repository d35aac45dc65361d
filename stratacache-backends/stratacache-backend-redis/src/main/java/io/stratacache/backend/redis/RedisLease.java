package io.stratacache.backend.redis;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.LeaseClosedException;
import io.stratacache.spi.Lease;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A loaded artifact: its bytes are in native memory the lease owns (the {@link Landing} the reply
 * was read into), freed on close. The payload view lives in the landing's own arena, so after
 * close even a kept segment reference faults instead of reading reused memory.
 */
final class RedisLease implements Lease {
  private final ArtifactId id;
  private final String tier;
  private final ArtifactMeta meta;
  private final Landing landing;
  private final MemorySegment payload;
  private final AtomicLong openLeases;
  private final AtomicBoolean open = new AtomicBoolean(true);

  RedisLease(ArtifactId id, String tier, ArtifactMeta meta, Landing landing, MemorySegment payload, AtomicLong openLeases) {
    this.id = id;
    this.tier = tier;
    this.meta = meta;
    this.landing = landing;
    this.payload = payload.asReadOnly();
    this.openLeases = openLeases;
  }

  @Override
  public ArtifactId id() {
    return id;
  }

  @Override
  public ArtifactMeta meta() {
    checkOpen();
    return meta;
  }

  @Override
  public String tier() {
    return tier;
  }

  @Override
  public MemorySegment segment() {
    checkOpen();
    return payload;
  }

  @Override
  public long size() {
    return payload.byteSize();
  }

  @Override
  public boolean isOpen() {
    return open.get();
  }

  @Override
  public void copyTo(MemorySegment dst) {
    checkOpen();
    try {
      MemorySegment.copy(payload, 0, dst, 0, payload.byteSize());
    } catch (IllegalStateException e) {
      if (!open.get()) {
        throw new LeaseClosedException("lease on " + id + " from tier '" + tier + "' is closed", e);
      }
      throw e;
    }
  }

  @Override
  public void close() {
    if (open.compareAndSet(true, false)) {
      openLeases.decrementAndGet();
      landing.free();
    }
  }

  private void checkOpen() {
    if (!open.get()) {
      throw new LeaseClosedException("lease on " + id + " from tier '" + tier + "' is closed");
    }
  }
}
