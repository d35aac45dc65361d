package io.stratacache.kv;

import io.stratacache.core.ArtifactId;
import java.util.Objects;

/**
 * Why an operation stopped at a chunk: every chunk before it was handled, none from it on.
 *
 * @param reason what was wrong
 * @param chunk the chunk's key
 * @param id the artifact found missing, corrupt or refused (a layer's id when layers are stored apart)
 * @param detail a message naming what was expected and found
 */
public record KvChunkFailure(Reason reason, KvChunkKey chunk, ArtifactId id, String detail) {
  /** What was wrong with the chunk. */
  public enum Reason {
    /** No tier holds it: the cached prefix ends before it. */
    MISSING,
    /** Its type, shape, dtype or size does not match this cache's layout; it was deleted, not used. */
    CORRUPT,
    /** The engine refused to store it (for example no room in the head tier). */
    REFUSED
  }

  public KvChunkFailure {
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(chunk, "chunk");
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(detail, "detail");
  }
}
