package io.stratacache.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;
import java.util.Objects;

/**
 * A decoder-only transformer of the Llama / Qwen2 family, computed with DJL NDArray operations
 * in float32: RMSNorm, rotary position embeddings, grouped-query attention over a
 * {@link PagedKvCache}, a SwiGLU MLP, and a tied or separate output head; projections carry the
 * biases the config asks for.
 *
 * <p>Design note. {@link #forward} appends tokens to a {@link KvSequence}: it runs layer by
 * layer over all new tokens (so a streaming {@link WeightSource} loads each layer once per
 * pass), writes each layer's new K/V into the sequence's slots of the pages, then gathers the
 * whole sequence's K/V back from the pages by slot mapping and attends to it. Attention is
 * computed in blocks of {@code attentionBlock} queries, each against only the keys it may see
 * (causal), so a long prompt never materialises a {@code tokens x tokens} score matrix.
 * Temporaries live in per-layer and per-block managers closed as soon as they are done.
 *
 * <p>Rotary frequencies follow the config's {@link RopeScaling}; cos and sin carry its
 * attention factor. Whatever the split of a sequence into forward calls (one prompt at once,
 * chunks, token by token, or a prefix whose KV a cache scattered into the pages), the logits
 * agree to float rounding; the one exception is {@code dynamic} scaling past
 * {@code max_position_embeddings}, whose frequencies follow the length reached by each call
 * while cached keys keep theirs, as in Hugging Face. Not thread-safe per sequence; one forward at a time per {@link WeightSource}.
 */
public final class LlamaModel {
  private final WeightSource weights;
  private final ModelConfig config;
  private final int attentionBlock;
  private final float[] invFreq;

  /**
   * A model computing with {@code weights}, attending in blocks of {@code attentionBlock}
   * queries.
   *
   * @throws IllegalArgumentException if {@code attentionBlock} is not positive
   */
  public LlamaModel(WeightSource weights, int attentionBlock) {
    this.weights = Objects.requireNonNull(weights, "weights");
    this.config = weights.config();
    if (attentionBlock <= 0) {
      throw new IllegalArgumentException("attentionBlock: " + attentionBlock + " (expected: > 0)");
    }
    this.attentionBlock = attentionBlock;
    this.invFreq = inverseFrequencies(0);
  }

  /** The rotary inverse frequencies for a sequence whose positions end at {@code seqLen}. */
  private float[] inverseFrequencies(int seqLen) {
    double[] f = config.ropeScaling().inverseFrequencies(config.ropeTheta(), config.headDim(), config.maxPositionEmbeddings(), seqLen);
    float[] out = new float[f.length];
    for (int i = 0; i < f.length; i++) {
      out[i] = (float) f[i];
    }
    return out;
  }

  /** A model attending in blocks of 256 queries. */
  public LlamaModel(WeightSource weights) {
    this(weights, 256);
  }

  /** The model's shape. */
  public ModelConfig config() {
    return config;
  }

  /** Where the weights come from. */
  public WeightSource weights() {
    return weights;
  }

  /**
   * Appends {@code tokens} to {@code seq} at positions {@code seq.length()} onwards: computes
   * them, writes their KV into the sequence's pages and advances its length.
   *
   * @param allRows whether to return the logits of every new token or only of the last
   * @throws IllegalArgumentException if {@code tokens} is empty, a token is outside the
   *     vocabulary, or {@code seq} belongs to a cache of another model shape
   * @throws io.stratacache.core.CapacityException if the cache has no room for the tokens; the
   *     sequence keeps its length
   */
  public Logits forward(KvSequence seq, int[] tokens, boolean allRows) {
    if (tokens.length == 0) {
      throw new IllegalArgumentException("tokens: none (expected: at least one)");
    }
    for (int i = 0; i < tokens.length; i++) {
      if (tokens[i] < 0 || tokens[i] >= config.vocabSize()) {
        throw new IllegalArgumentException("token at " + i + ": " + tokens[i] + " (expected: 0 to " + (config.vocabSize() - 1) + ")");
      }
    }
    PagedKvCache cache = seq.cache();
    if (!cache.config().equals(config)) {
      throw new IllegalArgumentException("seq: KV cache shaped for " + cache.config() + " (expected: " + config + ")");
    }
    int start = seq.length();
    int q = tokens.length;
    int n = start + q;
    seq.reserve(n);
    long[] ids = new long[q];
    for (int i = 0; i < q; i++) {
      ids[i] = tokens[i];
    }
    Logits out;
    try (NDManager m = DjlRuntime.newManager()) {
      NDArray x = weights.embedding().get(m, new NDIndex("{}", m.create(ids)));
      Pass pass = new Pass(m, cache, start, q, seq.slots(start, n), seq.slots(0, n));
      weights.beginPass();
      for (int l = 0; l < config.numLayers(); l++) {
        LayerWeights w = weights.acquire(l);
        try (NDManager lm = m.newSubManager()) {
          x.attach(lm);
          NDArray next = layer(lm, pass, l, x, w);
          next.attach(m);
          x = next;
        } finally {
          weights.release(l);
        }
      }
      NDArray h = allRows ? x : x.get(new NDIndex((q - 1) + ":"));
      NDArray logits = linear(rmsNorm(h, weights.finalNorm()), weights.lmHead(), null);
      out = new Logits(allRows ? q : 1, config.vocabSize(), logits.toFloatArray());
    }
    seq.setLength(n);
    return out;
  }

  /** Per-forward constants shared by the layers. */
  private final class Pass {
    final PagedKvCache cache;
    final int start;
    final int q;
    final NDArray newSlots;
    final NDArray allSlots;
    final NDArray cos;
    final NDArray sin;
    final NDArray[] masks;

    Pass(NDManager m, PagedKvCache cache, int start, int q, long[] newSlots, long[] allSlots) {
      this.cache = cache;
      this.start = start;
      this.q = q;
      this.newSlots = m.create(newSlots);
      this.allSlots = m.create(allSlots);
      int d = config.headDim();
      int half = d / 2;
      float[] freq = config.ropeScaling().dependsOnLength() ? inverseFrequencies(start + q) : invFreq;
      double scale = config.ropeScaling().attentionFactor();
      float[] c = new float[q * d];
      float[] s = new float[q * d];
      for (int i = 0; i < q; i++) {
        double pos = start + i;
        for (int j = 0; j < half; j++) {
          double angle = pos * freq[j];
          float cj = (float) (Math.cos(angle) * scale);
          float sj = (float) (Math.sin(angle) * scale);
          c[i * d + j] = cj;
          c[i * d + j + half] = cj;
          s[i * d + j] = sj;
          s[i * d + j + half] = sj;
        }
      }
      this.cos = m.create(c, new Shape(q, 1, d));
      this.sin = m.create(s, new Shape(q, 1, d));
      int blocks = (q + attentionBlock - 1) / attentionBlock;
      this.masks = new NDArray[blocks];
      for (int b = 0; b < blocks; b++) {
        int b0 = b * attentionBlock;
        int b1 = Math.min(q, b0 + attentionBlock);
        int qb = b1 - b0;
        int keys = start + b1;
        float[] mask = new float[qb * keys];
        for (int i = 0; i < qb; i++) {
          int pos = start + b0 + i;
          for (int j = pos + 1; j < keys; j++) {
            mask[i * keys + j] = Float.NEGATIVE_INFINITY;
          }
        }
        masks[b] = m.create(mask, new Shape(qb, keys));
      }
    }
  }

  private NDArray layer(NDManager lm, Pass p, int l, NDArray x, LayerWeights w) {
    int q = p.q;
    int nh = config.numHeads();
    int kvh = config.numKvHeads();
    int g = config.groupSize();
    int d = config.headDim();

    NDArray h = rmsNorm(x, w.get(LayerUnit.INPUT_NORM));
    NDArray qh = rope(linear(h, w.get(LayerUnit.Q_PROJ), w.get(LayerUnit.Q_BIAS)).reshape(q, nh, d), p);
    NDArray kh = rope(linear(h, w.get(LayerUnit.K_PROJ), w.get(LayerUnit.K_BIAS)).reshape(q, kvh, d), p);
    NDArray vh = linear(h, w.get(LayerUnit.V_PROJ), w.get(LayerUnit.V_BIAS)).reshape(q, kvh, d);

    NDArray pages = p.cache.slotView(l);
    pages.set(new NDIndex(":, {}", p.newSlots), NDArrays.stack(new NDList(kh, vh)));
    NDArray kv = pages.get(lm, new NDIndex(":, {}", p.allSlots));
    NDArray keys = kv.get(0).transpose(1, 0, 2);
    NDArray values = kv.get(1).transpose(1, 0, 2);
    NDArray queries = qh.reshape(q, kvh, g, d).transpose(1, 2, 0, 3);

    float scale = (float) (1.0 / Math.sqrt(d));
    NDList blocks = new NDList(p.masks.length);
    for (int b = 0; b < p.masks.length; b++) {
      int b0 = b * attentionBlock;
      int b1 = Math.min(q, b0 + attentionBlock);
      int qb = b1 - b0;
      int visible = p.start + b1;
      try (NDManager bm = lm.newSubManager()) {
        NDArray qBlock = queries.get(bm, new NDIndex(":, :, " + b0 + ":" + b1)).reshape(kvh, g * qb, d);
        NDArray kBlock = keys.get(bm, new NDIndex(":, :" + visible));
        NDArray vBlock = values.get(bm, new NDIndex(":, :" + visible));
        NDArray scores = qBlock.matMul(kBlock.transpose(0, 2, 1)).mul(scale).reshape(kvh, g, qb, visible).add(p.masks[b]);
        NDArray probs = scores.softmax(-1).reshape(kvh, g * qb, visible);
        NDArray o = probs.matMul(vBlock).reshape(kvh, g, qb, d);
        o.attach(lm);
        blocks.add(o);
      }
    }
    NDArray attn = blocks.size() == 1 ? blocks.head() : NDArrays.concat(blocks, 2);
    NDArray merged = attn.transpose(2, 0, 1, 3).reshape(q, nh * d);
    NDArray x1 = x.add(linear(merged, w.get(LayerUnit.O_PROJ), w.get(LayerUnit.O_BIAS)));

    NDArray h2 = rmsNorm(x1, w.get(LayerUnit.POST_NORM));
    NDArray gate = linear(h2, w.get(LayerUnit.GATE_PROJ), w.get(LayerUnit.GATE_BIAS));
    NDArray up = linear(h2, w.get(LayerUnit.UP_PROJ), w.get(LayerUnit.UP_BIAS));
    NDArray act = Activation.sigmoid(gate).mul(gate).mul(up);
    return x1.add(linear(act, w.get(LayerUnit.DOWN_PROJ), w.get(LayerUnit.DOWN_BIAS)));
  }

  private NDArray rmsNorm(NDArray x, NDArray weight) {
    NDArray meanSquare = x.square().mean(new int[] {-1}, true);
    return x.div(meanSquare.add((float) config.rmsNormEps()).sqrt()).mul(weight);
  }

  private static NDArray rope(NDArray x, Pass p) {
    long half = x.getShape().get(2) / 2;
    NDArray x1 = x.get(new NDIndex(":, :, :" + half));
    NDArray x2 = x.get(new NDIndex(":, :, " + half + ":"));
    NDArray rotated = NDArrays.concat(new NDList(x2.neg(), x1), -1);
    return x.mul(p.cos).add(rotated.mul(p.sin));
  }

  private static NDArray linear(NDArray x, NDArray weight, NDArray bias) {
    return Linear.linear(x, weight, bias).singletonOrThrow();
  }
}
