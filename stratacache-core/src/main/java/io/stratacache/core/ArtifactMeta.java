package io.stratacache.core;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What the store keeps beside an artifact's bytes: its {@link ArtifactType}, engine hints (how
 * tiers may treat it, e.g. {@code promote=false}) and free-form attributes (e.g. the tensor
 * codec's {@code tensor_dtype} and {@code tensor_shape}). Immutable; maps keep insertion order.
 *
 * <p>The JSON form, used inside records, is {@code {"type":"KV_BLOCKS","hints":{..},"attrs":{..}}}
 * with empty maps left out.
 */
public record ArtifactMeta(ArtifactType type, Map<String, String> hints, Map<String, String> attributes) {
  /** Hint: {@code "false"} keeps a hit in a lower tier from being promoted on load. */
  public static final String HINT_PROMOTE = "promote";

  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final ArtifactMeta CUSTOM = new ArtifactMeta(ArtifactType.CUSTOM, Map.of(), Map.of());

  public ArtifactMeta {
    Objects.requireNonNull(type, "type");
    hints = copy(hints, "hint");
    attributes = copy(attributes, "attribute");
  }

  /** Meta of the given type with no hints and no attributes. */
  public static ArtifactMeta of(ArtifactType type) {
    return type == ArtifactType.CUSTOM ? CUSTOM : new ArtifactMeta(type, Map.of(), Map.of());
  }

  /** Meta of type {@link ArtifactType#CUSTOM} with nothing else. */
  public static ArtifactMeta custom() {
    return CUSTOM;
  }

  /** A builder starting from {@code type}. */
  public static Builder builder(ArtifactType type) {
    return new Builder(type);
  }

  /** A builder starting from this meta. */
  public Builder toBuilder() {
    Builder b = new Builder(type);
    b.hints.putAll(hints);
    b.attributes.putAll(attributes);
    return b;
  }

  /** The attribute {@code key}, or {@code null}. */
  public String attribute(String key) {
    return attributes.get(key);
  }

  /** The hint {@code key}, or {@code null}. */
  public String hint(String key) {
    return hints.get(key);
  }

  /** Whether a hit in a lower tier may be promoted (hint {@value #HINT_PROMOTE}, default true). */
  public boolean promotable() {
    return !"false".equalsIgnoreCase(hints.get(HINT_PROMOTE));
  }

  /** Compact JSON form. */
  public String toJson() {
    ObjectNode root = JSON.createObjectNode();
    root.put("type", type.name());
    if (!hints.isEmpty()) {
      ObjectNode h = root.putObject("hints");
      hints.forEach(h::put);
    }
    if (!attributes.isEmpty()) {
      ObjectNode a = root.putObject("attrs");
      attributes.forEach(a::put);
    }
    return root.toString();
  }

  /**
   * Parses the JSON form.
   *
   * @throws CodecException if {@code json} is not the JSON form of a meta
   */
  public static ArtifactMeta fromJson(String json) {
    try {
      return fromJson(JSON.readTree(json));
    } catch (JsonProcessingException e) {
      throw new CodecException("artifact meta: not valid JSON: " + e.getOriginalMessage(), e);
    }
  }

  /**
   * Reads the JSON form from a parsed tree.
   *
   * @throws CodecException if {@code node} is not the JSON form of a meta
   */
  public static ArtifactMeta fromJson(JsonNode node) {
    if (node == null || !node.isObject()) {
      throw new CodecException("artifact meta: " + node + " (expected: a JSON object)");
    }
    JsonNode t = node.get("type");
    if (t == null || !t.isTextual()) {
      throw new CodecException("artifact meta: \"type\" is " + t + " (expected: a type name)");
    }
    ArtifactType type;
    try {
      type = ArtifactType.parse(t.asText());
    } catch (IllegalArgumentException e) {
      throw new CodecException("artifact meta: " + e.getMessage(), e);
    }
    return new ArtifactMeta(type, readMap(node, "hints"), readMap(node, "attrs"));
  }

  private static Map<String, String> readMap(JsonNode root, String field) {
    JsonNode n = root.get(field);
    if (n == null) {
      return Map.of();
    }
    if (!n.isObject()) {
      throw new CodecException("artifact meta: \"" + field + "\" is " + n + " (expected: an object of strings)");
    }
    Map<String, String> m = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> e : n.properties()) {
      if (e.getKey().isEmpty()) {
        throw new CodecException("artifact meta: \"" + field + "\" has an empty key (expected: non-empty keys)");
      }
      if (!e.getValue().isTextual()) {
        throw new CodecException(
            "artifact meta: \"" + field + "." + e.getKey() + "\" is " + e.getValue() + " (expected: a string)");
      }
      m.put(e.getKey(), e.getValue().asText());
    }
    return m;
  }

  private static Map<String, String> copy(Map<String, String> m, String what) {
    if (m == null || m.isEmpty()) {
      return Map.of();
    }
    Map<String, String> out = new LinkedHashMap<>(m.size() * 2);
    m.forEach((k, v) -> {
      if (k == null || k.isEmpty() || v == null) {
        throw new IllegalArgumentException(what + " " + k + "=" + v + " (expected: non-empty key and non-null value)");
      }
      out.put(k, v);
    });
    return java.util.Collections.unmodifiableMap(out);
  }

  /** Builds an {@link ArtifactMeta}. */
  public static final class Builder {
    private final ArtifactType type;
    private final Map<String, String> hints = new LinkedHashMap<>();
    private final Map<String, String> attributes = new LinkedHashMap<>();

    private Builder(ArtifactType type) {
      this.type = Objects.requireNonNull(type, "type");
    }

    public Builder hint(String key, String value) {
      hints.put(key, value);
      return this;
    }

    public Builder attribute(String key, String value) {
      attributes.put(key, value);
      return this;
    }

    public ArtifactMeta build() {
      return new ArtifactMeta(type, hints, attributes);
    }
  }
}
