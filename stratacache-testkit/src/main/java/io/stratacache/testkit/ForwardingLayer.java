package io.stratacache.testkit;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.spi.Capability;
import io.stratacache.spi.EvictionListener;
import io.stratacache.spi.LayerStats;
import io.stratacache.spi.Lease;
import io.stratacache.spi.MemoryLayer;
import io.stratacache.spi.Reservation;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A {@link MemoryLayer} that forwards every call to another: the base of a wrapper that changes a
 * few calls and leaves the rest alone ({@link FaultyLayer} injects faults into stores and loads; a
 * test may declare other capabilities).
 */
public abstract class ForwardingLayer implements MemoryLayer {
  private final MemoryLayer delegate;

  /** @param delegate the layer every call goes to unless a subclass overrides it */
  protected ForwardingLayer(MemoryLayer delegate) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
  }

  /** The layer this one forwards to. */
  protected final MemoryLayer delegate() {
    return delegate;
  }

  @Override
  public String name() {
    return delegate.name();
  }

  @Override
  public Set<Capability> capabilities() {
    return delegate.capabilities();
  }

  @Override
  public void put(ArtifactId id, ArtifactMeta meta, MemorySegment payload) {
    delegate.put(id, meta, payload);
  }

  @Override
  public Reservation reserve(ArtifactId id, ArtifactMeta meta, long size) {
    return delegate.reserve(id, meta, size);
  }

  @Override
  public Lease get(ArtifactId id) {
    return delegate.get(id);
  }

  @Override
  public boolean contains(ArtifactId id) {
    return delegate.contains(id);
  }

  @Override
  public boolean delete(ArtifactId id) {
    return delegate.delete(id);
  }

  @Override
  public boolean pin(ArtifactId id) {
    return delegate.pin(id);
  }

  @Override
  public boolean unpin(ArtifactId id) {
    return delegate.unpin(id);
  }

  @Override
  public List<ArtifactId> ids() {
    return delegate.ids();
  }

  @Override
  public LayerStats stats() {
    return delegate.stats();
  }

  @Override
  public void setEvictionListener(EvictionListener listener) {
    delegate.setEvictionListener(listener);
  }

  @Override
  public void close() {
    delegate.close();
  }
}
