package io.stratacache.backend.ssd;

import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.CodecException;
import io.stratacache.core.codec.RecordCodec;
import io.stratacache.spi.EvictionListener;
import io.stratacache.spi.RoomMaker;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * The file side of an {@link SsdLayer}'s evictions: what {@link SsdSpace} does, as the shared
 * {@link RoomMaker} protocol asks, to show a victim to the eviction listener ({@link #offer}) and
 * to remove it ({@link #remove}). Both are called with no lock held; offering maps the victim's
 * record in a confined arena of its own and takes no lock, removing takes the victim's stripe
 * lock through {@link SsdIndex}. Thread-safe.
 */
final class SsdEviction {
  private static final System.Logger LOG = System.getLogger(SsdLayer.class.getName());

  private final SsdIndex index;
  private final SsdPaths paths;
  private final String tier;
  private final String where;

  /**
   * @param tier the tier's name, as the listener is told it
   * @param where the layer as log lines name it
   */
  SsdEviction(SsdIndex index, SsdPaths paths, String tier, String where) {
    this.index = index;
    this.paths = paths;
    this.tier = tier;
    this.where = where;
  }

  /**
   * Maps an eviction victim's record for the listener, no lock held. A record whose file is gone,
   * or holds a newer version than the victim, lets the eviction go ahead (its removal then finds
   * the victim no longer current); one that fails its checks is quarantined.
   *
   * @return whether the eviction may go ahead (see {@link RoomMaker.Index#offer})
   */
  boolean offer(SsdEntry victim, EvictionListener listener) {
    String corruptReason = null;
    Path file = paths.recordFile(victim.id);
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment payload;
      ArtifactMeta meta = null;
      try (FileChannel ch = SsdRecordFiles.openRecord(file)) {
        MemorySegment record = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
        RecordCodec.Header h = RecordCodec.readHeader(record);
        if (h.id().equals(victim.id) && (record.byteSize() != victim.size || h.payloadCrc() != victim.payloadCrc)) {
          return true; // replaced since it was picked: removing the victim's entry will find it gone
        }
        if (!h.id().equals(victim.id)) {
          throw new CodecException("record " + file + " holds " + h.id() + " (expected: " + victim.id + ")");
        }
        payload = record.asSlice(victim.payloadOffset, victim.payloadLength()).asReadOnly();
        RecordCodec.verifyPayload(h, payload);
        meta = h.meta();
      } catch (NoSuchFileException e) {
        return true;
      } catch (CodecException e) {
        corruptReason = e.getMessage();
        payload = null;
      } catch (IOException e) {
        LOG.log(System.Logger.Level.WARNING, where + ": cannot read eviction victim " + file, e);
        return false;
      }
      if (payload != null) {
        return listener.beforeEvict(tier, victim.id, meta, payload);
      }
    }
    index.quarantine(victim, corruptReason);
    return false;
  }

  /**
   * Removes an eviction victim and deletes its file if it is still removable; no lock held.
   *
   * @return whether it was removed (see {@link RoomMaker.Index#remove})
   */
  boolean remove(SsdEntry victim) {
    return index.removeVictim(victim);
  }
}
