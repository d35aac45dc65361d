package io.stratacache.params;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.tensor.DType;
import java.util.Objects;

/**
 * The name of one chunk of a model parameter: which model and revision, which layer, which unit
 * of the layer (e.g. {@code self_attn.q_proj.weight}), the element type and the chunk's index
 * within the tensor. Its artifact id is
 *
 * <pre>
 *   param/&lt;model&gt;/&lt;revision&gt;/&lt;layer&gt;/&lt;unit&gt;/&lt;dtype&gt;/&lt;chunk&gt;
 * </pre>
 *
 * so ids of different models, revisions or dtypes never collide. Text parts may not be empty or
 * contain {@code '/'}.
 *
 * @param model model name, e.g. {@code tiny-llama}
 * @param revision checkpoint revision, e.g. a commit hash or {@code main}
 * @param layer decoder layer, {@code >= 0}
 * @param unit the tensor within the layer
 * @param dtype element type, a name {@link DType#forName} reads, e.g. {@code F32} or {@code BF16}
 * @param chunk chunk index within the tensor, {@code >= 0}
 */
public record ParamKey(String model, String revision, int layer, String unit, String dtype, int chunk) {
  /** Namespace of parameter-chunk ids. */
  public static final String NAMESPACE = "param";

  /**
   * Checks the parts.
   *
   * @throws IllegalArgumentException naming the part and what was expected
   */
  public ParamKey {
    part("model", model);
    part("revision", revision);
    part("unit", unit);
    part("dtype", dtype);
    try {
      DType.forName(dtype);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("dtype: " + e.getMessage(), e);
    }
    if (layer < 0) {
      throw new IllegalArgumentException("layer: " + layer + " (expected: >= 0)");
    }
    if (chunk < 0) {
      throw new IllegalArgumentException("chunk: " + chunk + " (expected: >= 0)");
    }
  }

  private static void part(String what, String value) {
    Objects.requireNonNull(value, what);
    if (value.isEmpty() || value.indexOf(ArtifactId.SEPARATOR) >= 0) {
      throw new IllegalArgumentException(what + ": \"" + value + "\" (expected: non-empty, without '/')");
    }
  }

  /** The element type {@link #dtype} names. */
  public DType elementType() {
    return DType.forName(dtype);
  }

  /** The same tensor's chunk {@code index}. */
  public ParamKey withChunk(int index) {
    return new ParamKey(model, revision, layer, unit, dtype, index);
  }

  /** The artifact id. */
  public ArtifactId id() {
    return ArtifactId.of(NAMESPACE, model, revision, Integer.toString(layer), unit, dtype, Integer.toString(chunk));
  }

  /**
   * The key of a parameter-chunk id.
   *
   * @throws IllegalArgumentException if {@code id} is not of the form {@link #id()} produces
   */
  public static ParamKey of(ArtifactId id) {
    String[] p = id.parts();
    if (p.length != 7 || !p[0].equals(NAMESPACE)) {
      throw new IllegalArgumentException("artifact id: " + id + " (expected: " + NAMESPACE + "/model/revision/layer/unit/dtype/chunk)");
    }
    try {
      return new ParamKey(p[1], p[2], Integer.parseInt(p[3]), p[4], p[5], Integer.parseInt(p[6]));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("artifact id: " + id + " (expected: integer layer and chunk)", e);
    }
  }
}
