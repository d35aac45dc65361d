package io.stratacache.kv;

import io.stratacache.core.ArtifactId;
import java.util.Objects;

/**
 * The key of one chunk of a prompt (see KEYS.md).
 *
 * @param index chunk number from the start of the prompt
 * @param startToken first token of the chunk
 * @param endToken one past its last token
 * @param partial whether the chunk is a trailing chunk shorter than the chunk size
 * @param hash the chunk hash, 64 lower-case hex digits
 * @param id the chunk's artifact id ({@code kv/<namespace>/<hash>}); when layers are stored
 *     apart, each layer's artifact is this id followed by {@code /L<layer>}
 */
public record KvChunkKey(int index, int startToken, int endToken, boolean partial, String hash, ArtifactId id) {
  public KvChunkKey {
    Objects.requireNonNull(hash, "hash");
    Objects.requireNonNull(id, "id");
  }

  /** Tokens the chunk covers. */
  public int tokens() {
    return endToken - startToken;
  }
}
