package io.stratacache.kv;

/**
 * What a store did.
 *
 * @param storedChunks chunks written (a chunk counts once however many of its layers were written)
 * @param dedupedChunks chunks not written because they were stored already (by an earlier request,
 *     or by a concurrent one this store waited for)
 * @param storedBytes payload bytes written
 * @param endToken one past the last token now stored from the first stored chunk on (the store's
 *     coverage): every chunk below it was written or already present
 * @param failure the chunk the engine refused, or {@code null}; nothing after it was stored
 */
public record KvStoreResult(int storedChunks, int dedupedChunks, long storedBytes, int endToken, KvChunkFailure failure) {
  /** Whether every chunk asked for is now stored. */
  public boolean complete() {
    return failure == null;
  }
}
