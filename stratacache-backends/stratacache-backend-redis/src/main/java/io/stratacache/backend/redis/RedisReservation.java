package io.stratacache.backend.redis;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.spi.Reservation;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Space for {@link RedisLayer#reserve}: native memory in a shared arena of its own (so Netty's
 * event loop can read it), stored with {@link RedisLayer#put} on commit and freed on commit or
 * close. Thread-safe: {@link #segment}, {@link #commit} and {@link #close} are synchronized, and
 * after the first commit or close the segment is no longer handed out.
 */
final class RedisReservation implements Reservation {
  private final RedisLayer layer;
  private final ArtifactId id;
  private final ArtifactMeta meta;
  private final Arena arena = Arena.ofShared();
  private final MemorySegment segment;
  private boolean done;

  RedisReservation(RedisLayer layer, ArtifactId id, ArtifactMeta meta, long size) {
    this.layer = layer;
    this.id = id;
    this.meta = meta;
    this.segment = arena.allocate(Math.max(size, 1), 64).asSlice(0, size);
  }

  @Override
  public ArtifactId id() {
    return id;
  }

  @Override
  public synchronized MemorySegment segment() {
    if (done) {
      throw new IllegalStateException("reservation for " + id + " is already committed or closed");
    }
    return segment;
  }

  @Override
  public synchronized void commit() {
    if (done) {
      throw new IllegalStateException("reservation for " + id + " is already committed or closed");
    }
    try {
      layer.put(id, meta, segment);
    } finally {
      done = true;
      arena.close();
    }
  }

  @Override
  public synchronized void close() {
    if (!done) {
      done = true;
      arena.close();
    }
  }
}
