package io.stratacache.djl;

import ai.djl.ndarray.NDArray;

/**
 * The part every {@link WeightSource} keeps resident: embedding, final norm and output head,
 * decoded from a checkpoint into native memory the source owns.
 */
abstract class GlobalWeights implements WeightSource {
  final ModelConfig config;
  final WeightArena memory = new WeightArena();
  private final NDArray embedding;
  private final NDArray finalNorm;
  private final NDArray lmHead;

  GlobalWeights(Checkpoint checkpoint) {
    this.config = checkpoint.config();
    boolean success = false;
    try {
      this.embedding = memory.loadGlobal(checkpoint, LayerUnit.EMBED_TOKENS);
      this.finalNorm = memory.loadGlobal(checkpoint, LayerUnit.FINAL_NORM);
      this.lmHead = config.tieWordEmbeddings() ? embedding : memory.loadGlobal(checkpoint, LayerUnit.LM_HEAD);
      success = true;
    } finally {
      if (!success) {
        memory.close();
      }
    }
  }

  @Override
  public final ModelConfig config() {
    return config;
  }

  @Override
  public final NDArray embedding() {
    return embedding;
  }

  @Override
  public final NDArray finalNorm() {
    return finalNorm;
  }

  @Override
  public final NDArray lmHead() {
    return lmHead;
  }

  /** Closes the arrays, then frees their memory. */
  @Override
  public void close() {
    memory.close();
  }
}
