package io.stratacache.djl;

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
 */
final class ReferenceModel {
  private final ModelConfig c;
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
    this.c = ck.config();
    this.embed = read(ck, LayerUnit.EMBED_TOKENS, ck.globalShape(LayerUnit.EMBED_TOKENS));
    this.norm = read(ck, LayerUnit.FINAL_NORM, ck.globalShape(LayerUnit.FINAL_NORM));
    this.head = c.tieWordEmbeddings() ? embed : read(ck, LayerUnit.LM_HEAD, ck.globalShape(LayerUnit.LM_HEAD));
    for (int l = 0; l < c.numLayers(); l++) {
      Map<LayerUnit, float[]> layer = new EnumMap<>(LayerUnit.class);
      for (LayerUnit u : LayerUnit.of(c)) {
        layer.put(u, read(ck, u.tensorName(l), u.shape(c)));
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
    for (Map<LayerUnit, float[]> w : layers) {
      double[][] q = new double[n][];
      double[][] k = new double[n][];
      double[][] v = new double[n][];
      for (int t = 0; t < n; t++) {
        double[] h = rms(x[t], w.get(LayerUnit.INPUT_NORM));
        q[t] = rope(lin(h, w.get(LayerUnit.Q_PROJ), w.get(LayerUnit.Q_BIAS), c.qDim()), t, c.numHeads());
        k[t] = rope(lin(h, w.get(LayerUnit.K_PROJ), w.get(LayerUnit.K_BIAS), c.kvDim()), t, c.numKvHeads());
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
        double[] attn = lin(o, w.get(LayerUnit.O_PROJ), null, hd);
        for (int i = 0; i < hd; i++) {
          x[t][i] += attn[i];
        }
        double[] h2 = rms(x[t], w.get(LayerUnit.POST_NORM));
        double[] gate = lin(h2, w.get(LayerUnit.GATE_PROJ), null, c.intermediateSize());
        double[] up = lin(h2, w.get(LayerUnit.UP_PROJ), null, c.intermediateSize());
        for (int i = 0; i < gate.length; i++) {
          gate[i] = gate[i] / (1 + Math.exp(-gate[i])) * up[i];
        }
        double[] down = lin(gate, w.get(LayerUnit.DOWN_PROJ), null, hd);
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

  private double[] rope(double[] x, int pos, int heads) {
    int d = c.headDim();
    int half = d / 2;
    double[] out = new double[x.length];
    for (int h = 0; h < heads; h++) {
      for (int i = 0; i < half; i++) {
        double freq = 1.0 / Math.pow(c.ropeTheta(), 2.0 * i / d);
        double cos = Math.cos(pos * freq);
        double sin = Math.sin(pos * freq);
        double a = x[h * d + i];
        double b = x[h * d + i + half];
        out[h * d + i] = a * cos - b * sin;
        out[h * d + i + half] = b * cos + a * sin;
      }
    }
    return out;
  }
}
