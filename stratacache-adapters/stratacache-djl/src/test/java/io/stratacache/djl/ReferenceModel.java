package io.stratacache.djl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.stratacache.core.tensor.DType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * A plain-Java forward pass of the same architecture, written independently of DJL and without
 * a KV cache (full causal attention over the whole sequence, in double precision). Tests compare
 * {@link LlamaModel} against it.
 *
 * <p>Rotary scaling is computed here from the raw {@code config.json} with Hugging Face's
 * formulas, and a bias is added wherever the checkpoint holds one, so neither depends on the
 * model's own config parsing or unit selection.
 */
final class ReferenceModel {
  private final ModelConfig c;
  private final JsonNode raw;
  private final boolean scaled;
  private final float[] embed;
  private final float[] norm;
  private final float[] head;
  private final List<Map<LayerUnit, float[]>> layers = new ArrayList<>();

  /** A tiny shape for scalar reference runs; with {@code qwen} biases and tied embeddings. */
  static ModelConfig tinyConfig(boolean qwen) {
    return new ModelConfig(qwen ? "qwen2" : "llama", 64, 128, 2, 4, 2, 16, 1e-6, qwen ? 1e6 : 10000.0,
        ByteTokenizer.VOCAB_SIZE, qwen, qwen, qwen ? DType.BF16 : DType.F32);
  }

  ReferenceModel(Checkpoint ck) {
    this(ck, true);
  }

  /** With {@code scaled} false, rotary scaling in the config is ignored (to show that it matters). */
  ReferenceModel(Checkpoint ck, boolean scaled) {
    this.c = ck.config();
    this.scaled = scaled;
    try {
      this.raw = JsonMapper.builder().build().readTree(ck.dir().resolve("config.json").toFile());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    this.embed = read(ck, LayerUnit.EMBED_TOKENS, ck.globalShape(LayerUnit.EMBED_TOKENS));
    this.norm = read(ck, LayerUnit.FINAL_NORM, ck.globalShape(LayerUnit.FINAL_NORM));
    this.head = c.tieWordEmbeddings() ? embed : read(ck, LayerUnit.LM_HEAD, ck.globalShape(LayerUnit.LM_HEAD));
    for (int l = 0; l < c.numLayers(); l++) {
      Map<LayerUnit, float[]> layer = new EnumMap<>(LayerUnit.class);
      for (LayerUnit u : LayerUnit.values()) {
        if (ck.weights().contains(u.tensorName(l))) {
          layer.put(u, read(ck, u.tensorName(l), ck.weights().entry(u.tensorName(l)).shape()));
        }
      }
      layers.add(layer);
    }
  }

  private static float[] read(Checkpoint ck, String name, long[] shape) {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    try (Arena a = Arena.ofConfined()) {
      MemorySegment s = a.allocate(n * 4, 8);
      ck.readF32(name, shape, s);
      return s.toArray(ValueLayout.JAVA_FLOAT);
    }
  }

  /** Logits of every position, {@code [tokens.length][vocab]}. */
  double[][] forward(int[] tokens) {
    int[] end = new int[tokens.length];
    java.util.Arrays.fill(end, tokens.length);
    return forward(tokens, end);
  }

  /**
   * Logits of every position when position {@code t} was computed in a forward call that ended
   * at {@code callEnd[t]} (exclusive): with {@code dynamic} scaling, Hugging Face rotates a
   * token's query and key with the frequencies of the length its call reached, and cached keys
   * keep them.
   */
  double[][] forward(int[] tokens, int[] callEnd) {
    int n = tokens.length;
    int hd = c.hiddenSize();
    double[][] x = new double[n][hd];
    for (int t = 0; t < n; t++) {
      for (int i = 0; i < hd; i++) {
        x[t][i] = embed[tokens[t] * hd + i];
      }
    }
    int d = c.headDim();
    int g = c.groupSize();
    double[][] invFreq = new double[n][];
    for (int t = 0; t < n; t++) {
      invFreq[t] = inverseFrequencies(callEnd[t]);
    }
    double mscale = attentionFactor();
    for (Map<LayerUnit, float[]> w : layers) {
      double[][] q = new double[n][];
      double[][] k = new double[n][];
      double[][] v = new double[n][];
      for (int t = 0; t < n; t++) {
        double[] h = rms(x[t], w.get(LayerUnit.INPUT_NORM));
        q[t] = rope(lin(h, w.get(LayerUnit.Q_PROJ), w.get(LayerUnit.Q_BIAS), c.qDim()), t, c.numHeads(), invFreq[t], mscale);
        k[t] = rope(lin(h, w.get(LayerUnit.K_PROJ), w.get(LayerUnit.K_BIAS), c.kvDim()), t, c.numKvHeads(), invFreq[t], mscale);
        v[t] = lin(h, w.get(LayerUnit.V_PROJ), w.get(LayerUnit.V_BIAS), c.kvDim());
      }
      for (int t = 0; t < n; t++) {
        double[] o = new double[c.qDim()];
        for (int head = 0; head < c.numHeads(); head++) {
          int kvHead = head / g;
          double[] s = new double[t + 1];
          double max = Double.NEGATIVE_INFINITY;
          for (int j = 0; j <= t; j++) {
            double dot = 0;
            for (int e = 0; e < d; e++) {
              dot += q[t][head * d + e] * k[j][kvHead * d + e];
            }
            s[j] = dot / Math.sqrt(d);
            max = Math.max(max, s[j]);
          }
          double sum = 0;
          for (int j = 0; j <= t; j++) {
            s[j] = Math.exp(s[j] - max);
            sum += s[j];
          }
          for (int j = 0; j <= t; j++) {
            for (int e = 0; e < d; e++) {
              o[head * d + e] += s[j] / sum * v[j][kvHead * d + e];
            }
          }
        }
        double[] attn = lin(o, w.get(LayerUnit.O_PROJ), w.get(LayerUnit.O_BIAS), hd);
        for (int i = 0; i < hd; i++) {
          x[t][i] += attn[i];
        }
        double[] h2 = rms(x[t], w.get(LayerUnit.POST_NORM));
        double[] gate = lin(h2, w.get(LayerUnit.GATE_PROJ), w.get(LayerUnit.GATE_BIAS), c.intermediateSize());
        double[] up = lin(h2, w.get(LayerUnit.UP_PROJ), w.get(LayerUnit.UP_BIAS), c.intermediateSize());
        for (int i = 0; i < gate.length; i++) {
          gate[i] = gate[i] / (1 + Math.exp(-gate[i])) * up[i];
        }
        double[] down = lin(gate, w.get(LayerUnit.DOWN_PROJ), w.get(LayerUnit.DOWN_BIAS), hd);
        for (int i = 0; i < hd; i++) {
          x[t][i] += down[i];
        }
      }
    }
    double[][] logits = new double[n][];
    for (int t = 0; t < n; t++) {
      logits[t] = lin(rms(x[t], norm), head, null, c.vocabSize());
    }
    return logits;
  }

  private double[] rms(double[] x, float[] w) {
    double ms = 0;
    for (double v : x) {
      ms += v * v;
    }
    double inv = 1 / Math.sqrt(ms / x.length + c.rmsNormEps());
    double[] out = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      out[i] = x[i] * inv * w[i];
    }
    return out;
  }

  private static double[] lin(double[] x, float[] w, float[] b, int outDim) {
    double[] out = new double[outDim];
    for (int o = 0; o < outDim; o++) {
      double s = b == null ? 0 : b[o];
      for (int i = 0; i < x.length; i++) {
        s += w[o * x.length + i] * x[i];
      }
      out[o] = s;
    }
    return out;
  }

  private double[] rope(double[] x, int pos, int heads, double[] invFreq, double mscale) {
    int d = c.headDim();
    int half = d / 2;
    double[] out = new double[x.length];
    for (int h = 0; h < heads; h++) {
      for (int i = 0; i < half; i++) {
        double cos = Math.cos(pos * invFreq[i]) * mscale;
        double sin = Math.sin(pos * invFreq[i]) * mscale;
        double a = x[h * d + i];
        double b = x[h * d + i + half];
        out[h * d + i] = a * cos - b * sin;
        out[h * d + i + half] = b * cos + a * sin;
      }
    }
    return out;
  }

  private JsonNode scaling() {
    JsonNode s = raw.get("rope_scaling");
    return !scaled || s == null || s.isNull() ? null : s;
  }

  private String ropeType() {
    JsonNode s = scaling();
    if (s == null) {
      return "default";
    }
    return (s.has("rope_type") ? s.get("rope_type") : s.get("type")).asText();
  }

  private double param(String key, double dflt) {
    JsonNode v = scaling().get(key);
    return v == null || v.isNull() ? dflt : v.asDouble();
  }

  private double maxPositions() {
    return raw.has("max_position_embeddings") ? raw.get("max_position_embeddings").asDouble() : 2048;
  }

  /** Hugging Face's inverse frequencies for rope_scaling, for a prompt of {@code n} tokens in one pass. */
  private double[] inverseFrequencies(int n) {
    double theta = raw.has("rope_theta") ? raw.get("rope_theta").asDouble() : 10000.0;
    int dim = c.headDim();
    String type = ropeType();
    if (type.equals("dynamic")) {
      double factor = param("factor", 1);
      double len = Math.max(n, maxPositions());
      theta = theta * Math.pow(factor * len / maxPositions() - (factor - 1), dim / (dim - 2.0));
    }
    double[] base = new double[dim / 2];
    for (int i = 0; i < base.length; i++) {
      base[i] = Math.pow(theta, -2.0 * i / dim);
    }
    double[] out = base.clone();
    switch (type) {
      case "linear" -> {
        for (int i = 0; i < out.length; i++) {
          out[i] = base[i] / param("factor", 1);
        }
      }
      case "llama3" -> {
        double factor = param("factor", 1);
        double lo = param("low_freq_factor", 1);
        double hi = param("high_freq_factor", 4);
        double old = param("original_max_position_embeddings", 8192);
        for (int i = 0; i < out.length; i++) {
          double wavelen = 2 * Math.PI / base[i];
          if (wavelen < old / hi) {
            out[i] = base[i];
          } else if (wavelen > old / lo) {
            out[i] = base[i] / factor;
          } else {
            double smooth = (old / wavelen - lo) / (hi - lo);
            out[i] = (1 - smooth) * base[i] / factor + smooth * base[i];
          }
        }
      }
      case "yarn" -> {
        double factor = param("factor", 1);
        double original = param("original_max_position_embeddings", maxPositions());
        double fast = param("beta_fast", 32);
        double slow = param("beta_slow", 1);
        boolean truncate = scaling().path("truncate").asBoolean(true);
        double low = dim * Math.log(original / (fast * 2 * Math.PI)) / (2 * Math.log(theta));
        double high = dim * Math.log(original / (slow * 2 * Math.PI)) / (2 * Math.log(theta));
        if (truncate) {
          low = Math.floor(low);
          high = Math.ceil(high);
        }
        low = Math.max(low, 0);
        high = Math.min(high, dim - 1);
        if (low == high) {
          high += 0.001;
        }
        for (int i = 0; i < out.length; i++) {
          double ramp = Math.min(1, Math.max(0, (i - low) / (high - low)));
          double extrapolation = 1 - ramp;
          out[i] = base[i] / factor * (1 - extrapolation) + base[i] * extrapolation;
        }
      }
      default -> {
        // default and dynamic
      }
    }
    return out;
  }

  private double attentionFactor() {
    if (!ropeType().equals("yarn")) {
      return 1.0;
    }
    double factor = param("factor", 1);
    double given = param("attention_factor", 0);
    if (given != 0) {
      return given;
    }
    double m = param("mscale", 0);
    double mAll = param("mscale_all_dim", 0);
    java.util.function.DoubleUnaryOperator get = k -> factor <= 1 ? 1 : 0.1 * k * Math.log(factor) + 1;
    return m != 0 && mAll != 0 ? get.applyAsDouble(m) / get.applyAsDouble(mAll) : get.applyAsDouble(1);
  }
}
