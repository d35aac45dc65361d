package io.stratacache.backend.ssd;

import io.stratacache.core.CodecException;
import io.stratacache.core.codec.RecordCodec;
import io.stratacache.core.codec.RecordLayout;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;

/**
 * The shared read-only mappings of an {@link SsdLayer}'s record files: one {@link Mapping} per
 * record version, in a shared arena of its own, with a reference per lease. A mapping outlives its
 * last lease while its record is current (the {@value #IDLE} least recently released idle ones are
 * kept) so that the next load skips the open, the mapping and its page faults; otherwise it is
 * unmapped with its last reference. Unmapping closes the arena (a handshake with every thread), so
 * it is queued under the layer's state lock and done by {@link #drainUnmaps()} with no lock held.
 *
 * <p>Methods ending in {@code Locked} run under the layer's state lock, which guards the idle list,
 * each mapping's reference count and {@link SsdEntry#mapping}.
 */
final class SsdMappings {
  /** Mappings kept for later loads after their last lease closed. */
  static final int IDLE = 1024;

  /**
   * A record file mapped read-only into a shared arena of its own, shared by the leases on it:
   * each lease takes a reference and reads {@code payload}; the arena is closed when the mapping
   * is unmapped, after its last reference is gone. {@code refs} is guarded by the state lock.
   */
  static final class Mapping {
    final Arena arena;
    final RecordCodec.Header header;
    final MemorySegment payload;
    int refs = 1;

    Mapping(Arena arena, RecordCodec.Header header, MemorySegment payload) {
      this.arena = arena;
      this.header = header;
      this.payload = payload;
    }
  }

  private final ReentrantLock state;
  private final Predicate<SsdEntry> current;
  /** Entries whose mapping no lease uses, least recently released first. */
  private final LinkedHashMap<SsdEntry, Boolean> idle = new LinkedHashMap<>();
  private final Queue<Arena> unmapQueue = new ConcurrentLinkedQueue<>();

  /**
   * @param state the layer's state lock
   * @param current whether an entry is its id's current version in an open layer (state lock held)
   */
  SsdMappings(ReentrantLock state, Predicate<SsdEntry> current) {
    this.state = state;
    this.current = current;
  }

  /** {@code e}'s mapping with one more reference, or null if it has none. */
  Mapping takeLocked(SsdEntry e) {
    Mapping m = e.mapping;
    if (m != null) {
      m.refs++;
      idle.remove(e);
    }
    return m;
  }

  /**
   * Maps {@code e}'s record from {@code ch} (closing it) and checks its header, size and stored
   * payload checksum against the index entry, so that an entry the record does not match is never
   * served (the caller checks the payload against its checksum); installs the mapping on {@code e} unless another load did
   * first. The mapping comes back with one reference, the caller's.
   *
   * @throws CodecException if the header or the size is wrong
   */
  Mapping map(SsdEntry e, FileChannel ch) throws IOException {
    Arena arena = Arena.ofShared();
    boolean success = false;
    try (ch) {
      MemorySegment record = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
      RecordCodec.Header h = RecordCodec.readHeader(record);
      if (!h.id().equals(e.id)) {
        throw new CodecException("record holds " + h.id() + " (expected: " + e.id + ")");
      }
      long offset = e.payloadOffset;
      if (record.byteSize() != e.size || h.payloadLength() != e.payloadLength() || h.payloadCrc() != e.payloadCrc
          || offset < RecordLayout.PREFIX_BYTES + (long) h.headerLength()) {
        throw new CodecException("record " + e.id + ": " + record.byteSize() + " bytes, payload of " + h.payloadLength()
            + " bytes with checksum " + String.format("0x%08x", h.payloadCrc()) + " (expected: as the index has it, "
            + e.size + " bytes, payload at " + offset + " with checksum " + String.format("0x%08x", e.payloadCrc) + ")");
      }
      Mapping m = new Mapping(arena, h, record.asSlice(offset, h.payloadLength()).asReadOnly());
      state.lock();
      try {
        if (e.mapping == null && current.test(e)) {
          e.mapping = m;
        }
      } finally {
        state.unlock();
      }
      success = true;
      return m;
    } finally {
      if (!success) {
        arena.close();
      }
    }
  }

  /**
   * Gives back a reference to {@code m}, {@code e}'s or a former one: a mapping nobody uses is kept
   * idle while {@code e} is current (the least recently used beyond {@value #IDLE} is unmapped), and
   * unmapped otherwise.
   */
  void releaseLocked(SsdEntry e, Mapping m) {
    if (--m.refs > 0) {
      return;
    }
    if (e.mapping == m && current.test(e)) {
      idle.put(e, Boolean.TRUE);
      if (idle.size() > IDLE) {
        SsdEntry oldest = idle.keySet().iterator().next();
        idle.remove(oldest);
        unmapQueue.add(oldest.mapping.arena);
        oldest.mapping = null;
      }
    } else {
      if (e.mapping == m) {
        e.mapping = null;
      }
      unmapQueue.add(m.arena);
    }
  }

  /** Queues {@code e}'s mapping for unmapping if no lease uses it. */
  void dropIdleLocked(SsdEntry e) {
    Mapping m = e.mapping;
    if (m != null && m.refs == 0) {
      idle.remove(e);
      e.mapping = null;
      unmapQueue.add(m.arena);
    }
  }

  /** Queues every idle mapping for unmapping (the layer closes). */
  void dropAllIdleLocked() {
    for (SsdEntry e : List.copyOf(idle.keySet())) {
      dropIdleLocked(e);
    }
  }

  /** Unmaps what was given up under the state lock; called with no lock held. */
  void drainUnmaps() {
    for (Arena a; (a = unmapQueue.poll()) != null; ) {
      a.close();
    }
  }
}
