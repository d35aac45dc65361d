package io.stratacache.djl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.stratacache.core.ConfigException;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * How rotary position embeddings scale their frequencies: the {@code rope_scaling} object of a
 * Hugging Face {@code config.json} (or the {@code rope_parameters} object of newer ones), with
 * the inverse frequencies and attention factor Hugging Face's transformers computes from it.
 *
 * <p>Design note. {@code inv_freq[i] = 1 / theta^(2i/dim)} by default; the types change it as
 * follows (dim is {@code head_dim}, L is {@code max_position_embeddings}):
 *
 * <ul>
 *   <li>{@code linear}: every frequency divided by {@code factor}.
 *   <li>{@code dynamic} (NTK): {@code theta} replaced by
 *       {@code theta * (factor * s / L - (factor - 1))^(dim / (dim - 2))}, where {@code s} is
 *       the sequence length seen so far if it exceeds L, else L (so up to L nothing changes).
 *       Keys already cached keep the frequencies they were rotated with, as in Hugging Face.
 *   <li>{@code llama3}: frequencies whose wavelength {@code 2 pi / f} exceeds
 *       {@code original_max_position_embeddings / low_freq_factor} are divided by
 *       {@code factor}; those below {@code original / high_freq_factor} are kept; between, they
 *       blend linearly in {@code original / wavelength}.
 *   <li>{@code yarn}: a blend of the interpolated ({@code f / factor}) and original frequencies,
 *       with a linear ramp over the dimensions between the correction dimensions of
 *       {@code beta_fast} and {@code beta_slow} rotations within
 *       {@code original_max_position_embeddings} (floored and ceiled unless {@code truncate} is
 *       false); cos and sin are multiplied by an attention factor, {@code attention_factor} if
 *       given, else {@code 0.1 ln(factor) + 1} (or the ratio of that with {@code mscale} and
 *       {@code mscale_all_dim}). {@code factor} is taken as written.
 * </ul>
 *
 * <p>Any other type, and any key a type does not use, is refused with the key and its value.
 *
 * @param type {@code rope_type} (or the older {@code type}): default, linear, dynamic, llama3 or yarn
 * @param factor the scaling factor (1 for default)
 * @param originalMaxPositions {@code original_max_position_embeddings} (llama3, yarn; 0 otherwise)
 * @param lowFreqFactor {@code low_freq_factor} (llama3; 0 otherwise)
 * @param highFreqFactor {@code high_freq_factor} (llama3; 0 otherwise)
 * @param betaFast {@code beta_fast} (yarn, default 32; 0 otherwise)
 * @param betaSlow {@code beta_slow} (yarn, default 1; 0 otherwise)
 * @param attentionFactor the factor on cos and sin (1 except for yarn)
 * @param truncate whether yarn floors and ceils its correction range ({@code truncate}, default true)
 */
public record RopeScaling(
    String type,
    double factor,
    int originalMaxPositions,
    double lowFreqFactor,
    double highFreqFactor,
    double betaFast,
    double betaSlow,
    double attentionFactor,
    boolean truncate) {

  private static final JsonMapper JSON = JsonMapper.builder().build();

  private static final Map<String, Set<String>> KEYS = Map.of(
      "default", Set.of(),
      "linear", Set.of("factor"),
      "dynamic", Set.of("factor", "original_max_position_embeddings"),
      "llama3", Set.of("factor", "low_freq_factor", "high_freq_factor", "original_max_position_embeddings"),
      "yarn", Set.of("factor", "original_max_position_embeddings", "attention_factor", "beta_fast", "beta_slow", "mscale",
          "mscale_all_dim", "truncate"));

  /** No scaling. */
  public static final RopeScaling NONE = new RopeScaling("default", 1, 0, 0, 0, 0, 0, 1, true);

  /**
   * Checks the parameters of the type.
   *
   * @throws ConfigException naming the key, the value and what was expected
   */
  public RopeScaling {
    if (type == null || !KEYS.containsKey(type)) {
      throw new ConfigException("rope_scaling.rope_type: \"" + type + "\" (expected: one of default, linear, dynamic, llama3, yarn)");
    }
    if (!(factor > 0) || Double.isInfinite(factor)) {
      throw new ConfigException("rope_scaling.factor: " + factor + " (expected: a finite number > 0)");
    }
    if (!(attentionFactor > 0) || Double.isInfinite(attentionFactor)) {
      throw new ConfigException("rope_scaling.attention_factor: " + attentionFactor + " (expected: a finite number > 0)");
    }
    if (type.equals("llama3") || type.equals("yarn")) {
      if (originalMaxPositions <= 0) {
        throw new ConfigException("rope_scaling.original_max_position_embeddings: " + originalMaxPositions + " (expected: > 0)");
      }
    }
    if (type.equals("llama3") && !(lowFreqFactor > 0 && highFreqFactor > lowFreqFactor)) {
      throw new ConfigException("rope_scaling.low_freq_factor / high_freq_factor: " + lowFreqFactor + " / " + highFreqFactor
          + " (expected: 0 < low_freq_factor < high_freq_factor)");
    }
    if (type.equals("yarn") && !(betaFast > 0 && betaSlow > 0)) {
      throw new ConfigException("rope_scaling.beta_fast / beta_slow: " + betaFast + " / " + betaSlow + " (expected: both > 0)");
    }
  }

  /** Whether the frequencies depend on the sequence length ({@code dynamic}). */
  public boolean dependsOnLength() {
    return type.equals("dynamic");
  }

  /**
   * The {@code dim / 2} inverse frequencies for a sequence whose positions so far end at
   * {@code seqLen} (only {@code dynamic} uses it).
   *
   * @param theta {@code rope_theta}
   * @param dim {@code head_dim} (even)
   * @param maxPositions {@code max_position_embeddings}
   */
  public double[] inverseFrequencies(double theta, int dim, int maxPositions, int seqLen) {
    int half = dim / 2;
    double base = theta;
    if (type.equals("dynamic")) {
      double s = Math.max(seqLen, maxPositions);
      base = theta * Math.pow(factor * s / maxPositions - (factor - 1), (double) dim / (dim - 2));
    }
    double[] f = new double[half];
    for (int i = 0; i < half; i++) {
      f[i] = 1.0 / Math.pow(base, (2.0 * i) / dim);
    }
    switch (type) {
      case "linear" -> {
        for (int i = 0; i < half; i++) {
          f[i] /= factor;
        }
      }
      case "llama3" -> {
        double longWave = originalMaxPositions / lowFreqFactor;
        double shortWave = originalMaxPositions / highFreqFactor;
        for (int i = 0; i < half; i++) {
          double wavelength = 2 * Math.PI / f[i];
          if (wavelength > longWave) {
            f[i] /= factor;
          } else if (wavelength >= shortWave) {
            double smooth = (originalMaxPositions / wavelength - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
            f[i] = (1 - smooth) * f[i] / factor + smooth * f[i];
          }
        }
      }
      case "yarn" -> {
        double low = correctionDim(betaFast, dim, theta);
        double high = correctionDim(betaSlow, dim, theta);
        if (truncate) {
          low = Math.floor(low);
          high = Math.ceil(high);
        }
        low = Math.max(low, 0);
        high = Math.min(high, dim - 1);
        if (low == high) {
          high += 0.001;
        }
        for (int i = 0; i < half; i++) {
          double ramp = Math.clamp((i - low) / (high - low), 0.0, 1.0);
          double keep = 1 - ramp; // share of the original (extrapolated) frequency
          f[i] = f[i] / factor * (1 - keep) + f[i] * keep;
        }
      }
      default -> {
        // default and dynamic: as computed
      }
    }
    return f;
  }

  private double correctionDim(double rotations, int dim, double theta) {
    return dim * Math.log(originalMaxPositions / (rotations * 2 * Math.PI)) / (2 * Math.log(theta));
  }

  /**
   * Reads a {@code rope_scaling} object; {@code null} (or JSON null) is no scaling.
   *
   * @param maxPositions {@code max_position_embeddings}, the default of yarn's original length
   * @throws ConfigException naming the key and value of anything unsupported or malformed
   */
  public static RopeScaling parse(JsonNode node, int maxPositions) {
    if (node == null || node.isNull()) {
      return NONE;
    }
    if (!node.isObject()) {
      throw new ConfigException("rope_scaling: " + node + " (expected: an object or null)");
    }
    JsonNode typeNode = node.has("rope_type") ? node.get("rope_type") : node.get("type");
    if (typeNode == null || !typeNode.isTextual()) {
      throw new ConfigException("rope_scaling.rope_type: " + typeNode + " (expected: one of default, linear, dynamic, llama3, yarn)");
    }
    String type = typeNode.asText().toLowerCase(Locale.ROOT);
    Set<String> allowed = KEYS.get(type);
    if (allowed == null) {
      throw new ConfigException("rope_scaling.rope_type: \"" + typeNode.asText()
          + "\" (not supported; expected: one of default, linear, dynamic, llama3, yarn)");
    }
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String key = it.next();
      if (!key.equals("rope_type") && !key.equals("type") && !allowed.contains(key) && !node.get(key).isNull()) {
        throw new ConfigException("rope_scaling." + key + ": " + node.get(key) + " (not supported with rope_type \"" + type
            + "\"; expected only " + (allowed.isEmpty() ? "rope_type" : allowed) + ")");
      }
    }
    return switch (type) {
      case "default" -> NONE;
      case "linear" -> new RopeScaling(type, number(node, "factor", null), 0, 0, 0, 0, 0, 1, true);
      case "dynamic" -> {
        Double original = optional(node, "original_max_position_embeddings");
        if (original != null && original.intValue() != maxPositions) {
          throw new ConfigException("rope_scaling.original_max_position_embeddings: " + node.get("original_max_position_embeddings")
              + " (not supported with rope_type \"dynamic\" unless equal to max_position_embeddings " + maxPositions + ")");
        }
        yield new RopeScaling(type, number(node, "factor", null), 0, 0, 0, 0, 0, 1, true);
      }
      case "llama3" -> new RopeScaling(type, number(node, "factor", null), integer(node, "original_max_position_embeddings", null),
          number(node, "low_freq_factor", null), number(node, "high_freq_factor", null), 0, 0, 1, true);
      case "yarn" -> yarn(node, maxPositions);
      default -> throw new IllegalStateException(type);
    };
  }

  private static RopeScaling yarn(JsonNode node, int maxPositions) {
    int original = integer(node, "original_max_position_embeddings", maxPositions);
    Double given = optional(node, "factor");
    double factor = given != null ? given : (double) maxPositions / original;
    Double attention = optional(node, "attention_factor");
    if (attention == null) {
      Double mscale = optional(node, "mscale");
      Double mscaleAllDim = optional(node, "mscale_all_dim");
      attention = mscale != null && mscale != 0 && mscaleAllDim != null && mscaleAllDim != 0
          ? mscale(factor, mscale) / mscale(factor, mscaleAllDim)
          : mscale(factor, 1);
    }
    Double betaFast = optional(node, "beta_fast");
    Double betaSlow = optional(node, "beta_slow");
    JsonNode truncate = node.get("truncate");
    if (truncate != null && !truncate.isNull() && !truncate.isBoolean()) {
      throw new ConfigException("rope_scaling.truncate: " + truncate + " (expected: true or false)");
    }
    return new RopeScaling("yarn", factor, original, 0, 0, betaFast == null || betaFast == 0 ? 32 : betaFast,
        betaSlow == null || betaSlow == 0 ? 1 : betaSlow, attention, truncate == null || truncate.isNull() || truncate.asBoolean());
  }

  private static double mscale(double scale, double m) {
    return scale <= 1 ? 1.0 : 0.1 * m * Math.log(scale) + 1.0;
  }

  private static Double optional(JsonNode node, String key) {
    JsonNode n = node.get(key);
    if (n == null || n.isNull()) {
      return null;
    }
    if (!n.isNumber()) {
      throw new ConfigException("rope_scaling." + key + ": " + n + " (expected: a number)");
    }
    return n.asDouble();
  }

  private static double number(JsonNode node, String key, Double dflt) {
    Double v = optional(node, key);
    if (v == null) {
      if (dflt == null) {
        throw new ConfigException("rope_scaling." + key + ": missing (expected: a number)");
      }
      return dflt;
    }
    return v;
  }

  private static int integer(JsonNode node, String key, Integer dflt) {
    JsonNode n = node.get(key);
    if (n == null || n.isNull()) {
      if (dflt == null) {
        throw new ConfigException("rope_scaling." + key + ": missing (expected: an integer)");
      }
      return dflt;
    }
    if (!n.isIntegralNumber() || !n.canConvertToInt()) {
      throw new ConfigException("rope_scaling." + key + ": " + n + " (expected: an integer)");
    }
    return n.asInt();
  }

  /** The {@code rope_scaling} JSON that {@link #parse} reads back as an equal record; JSON null for none. */
  public JsonNode toJson() {
    if (this.equals(NONE)) {
      return JSON.nullNode();
    }
    ObjectNode o = JSON.createObjectNode();
    o.put("rope_type", type);
    o.put("factor", factor);
    switch (type) {
      case "llama3" -> {
        o.put("low_freq_factor", lowFreqFactor);
        o.put("high_freq_factor", highFreqFactor);
        o.put("original_max_position_embeddings", originalMaxPositions);
      }
      case "yarn" -> {
        o.put("original_max_position_embeddings", originalMaxPositions);
        o.put("attention_factor", attentionFactor);
        o.put("beta_fast", betaFast);
        o.put("beta_slow", betaSlow);
        o.put("truncate", truncate);
      }
      default -> {
        // linear and dynamic: factor only
      }
    }
    return o;
  }
}
