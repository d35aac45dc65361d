package io.stratacache.kv;

/**
 * What a retrieve scattered into the pages: the tokens {@code [startToken, endToken)}.
 *
 * @param startToken first token loaded (the start of the chunk holding the retrieve's first token,
 *     or that token itself when it falls inside a chunk)
 * @param endToken one past the last token loaded; {@code endToken == startToken} when nothing was
 * @param loadedChunks chunks scattered
 * @param loadedBytes payload bytes scattered
 * @param failure the missing or corrupt chunk the retrieve stopped at, or {@code null} if it
 *     loaded every chunk it was asked for; nothing from that chunk on was scattered
 */
public record KvRetrieveResult(int startToken, int endToken, int loadedChunks, long loadedBytes, KvChunkFailure failure) {
  /** Tokens loaded. */
  public int loadedTokens() {
    return endToken - startToken;
  }

  /** A mask over a prompt of {@code promptTokens} tokens: true for each loaded token. */
  public boolean[] mask(int promptTokens) {
    boolean[] mask = new boolean[promptTokens];
    java.util.Arrays.fill(mask, startToken, Math.min(endToken, promptTokens), true);
    return mask;
  }
}
