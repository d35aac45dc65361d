package io.stratacache.backend.ssd;

import io.stratacache.core.ArtifactId;

/**
 * One stored record as the {@linkplain SsdIndex index} holds it; mutable fields are guarded by the
 * state lock. Neither the meta (read from the record's header when it is loaded) nor the path (the
 * hash of the id) is held.
 *
 * <pre>
 *  SsdEntry (64 bytes with compressed oops)      per artifact, besides the entry:
 *   12  object header                             HashMap node        32  (index)
 *    4  id            -&gt; ArtifactId (16 + String 24 + the id's text twice, as String and UTF-8)
 *    8  nameKey       first 16 hex digits of the file name
 *    8  size          record bytes on disk        LinkedHashMap entry 40  (eviction order)
 *    4  payloadOffset                             two table slots     ~10  (at 0.75 load)
 *    4  payloadCrc    CRC32C the record stores
 *    8  lastAccess    clock nanos
 *    4  leases
 *    4  mapping       -&gt; shared mapping, or null (at most {@value SsdMappings#IDLE} idle ones)
 *    1  verified      (+3 padding)
 * </pre>
 *
 * <p>So about 64 + 40 (id and its String, without their bytes) + 32 + 40 + 10 = 186 bytes of
 * heap per artifact, besides the id's text.
 */
final class SsdEntry {
  final ArtifactId id;
  final long nameKey;
  final long size;
  final int payloadOffset;
  final int payloadCrc;
  long lastAccess;
  int leases;
  /** The shared mapping of the file, or null; see {@link SsdMappings}. */
  SsdMappings.Mapping mapping;
  /** Whether a load has checked the payload checksum (for {@code verify: once}). */
  volatile boolean verified;

  SsdEntry(ArtifactId id, long nameKey, long size, int payloadOffset, int payloadCrc, long lastAccess) {
    this.id = id;
    this.nameKey = nameKey;
    this.size = size;
    this.payloadOffset = payloadOffset;
    this.payloadCrc = payloadCrc;
    this.lastAccess = lastAccess;
  }

  long payloadLength() {
    return size - payloadOffset;
  }
}
