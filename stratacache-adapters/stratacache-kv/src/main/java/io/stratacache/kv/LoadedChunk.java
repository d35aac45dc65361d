package io.stratacache.kv;

import io.stratacache.spi.Lease;
import java.lang.foreign.MemorySegment;

/**
 * A chunk's artifacts, leased and checked: one lease per artifact (one when layers are bundled,
 * one per layer otherwise) and the tensor data inside each, ready to scatter.
 */
record LoadedChunk(Lease[] leases, MemorySegment[] data) {
  /** Releases every lease. */
  void close() {
    for (Lease l : leases) {
      l.close();
    }
  }
}
