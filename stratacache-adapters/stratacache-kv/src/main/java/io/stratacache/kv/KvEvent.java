package io.stratacache.kv;

import java.util.Objects;

/**
 * A change a router may want to know about: a chunk was stored or removed.
 *
 * @param type what happened
 * @param namespace the namespace's id prefix ({@link KvNamespace#idPrefix()})
 * @param chunkHash the chunk's hash, 64 lower-case hex digits
 * @param tokens tokens the chunk covers
 * @param tier the tier it was stored into or removed from; {@code *} for every tier
 * @param timeMillis wall-clock time of the change, milliseconds since the epoch
 */
public record KvEvent(Type type, String namespace, String chunkHash, int tokens, String tier, long timeMillis) {
  /** What happened to a chunk. */
  public enum Type {
    /** The chunk was stored (all its layers, when layers are stored apart). */
    STORED,
    /**
     * The chunk was removed: by this cache (explicitly, or because it was found corrupt; tier
     * {@code *}), or evicted from a tier to make room (that tier; with layers stored apart, one
     * event per evicted layer artifact). It may still be held by a lower tier.
     */
    REMOVED
  }

  public KvEvent {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(chunkHash, "chunkHash");
    Objects.requireNonNull(tier, "tier");
  }
}
