package io.stratacache.core.tensor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.stratacache.core.CodecException;
import io.stratacache.core.StrataCacheException;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * The weights of a Hugging Face model directory: one {@value #SINGLE_FILE}, or shards named by
 * {@value #INDEX_FILE}, read as one set of tensors.
 *
 * <p>The index is {@code {"metadata": {...}, "weight_map": {"tensor name": "shard file", ...}}}.
 * Opening checks it whole before any tensor is read: every shard is a plain file name in the
 * directory and a valid safetensors file ({@link SafetensorsFile}), every tensor of the map is in
 * the shard the map names, every tensor of a shard is in the map, and no tensor is in two
 * shards. Any failure closes what was opened and names the file and the problem.
 *
 * <p>Thread-safe like {@link SafetensorsFile}: slices are readable from any thread until
 * {@link #close()}.
 */
public final class SafetensorsShards implements AutoCloseable {
  /** Name of a single-file checkpoint's weights. */
  public static final String SINGLE_FILE = "model.safetensors";

  /** Name of a sharded checkpoint's index. */
  public static final String INDEX_FILE = "model.safetensors.index.json";

  private static final JsonMapper JSON = JsonMapper.builder().build();

  private final Path dir;
  private final List<SafetensorsFile> files;
  private final Map<String, SafetensorsFile> byTensor;

  private SafetensorsShards(Path dir, List<SafetensorsFile> files, Map<String, SafetensorsFile> byTensor) {
    this.dir = dir;
    this.files = List.copyOf(files);
    this.byTensor = Collections.unmodifiableMap(byTensor);
  }

  /**
   * Opens the weights in {@code dir}: {@value #INDEX_FILE} and its shards if the index exists,
   * else {@value #SINGLE_FILE}.
   *
   * @throws CodecException if the index or a shard is malformed or inconsistent
   * @throws StrataCacheException if {@code dir} has neither file (the message says what was
   *     looked for) or a file cannot be read
   */
  public static SafetensorsShards open(Path dir) {
    Objects.requireNonNull(dir, "dir");
    Path index = dir.resolve(INDEX_FILE);
    if (Files.isRegularFile(index)) {
      return openIndex(dir, index);
    }
    Path single = dir.resolve(SINGLE_FILE);
    if (!Files.isRegularFile(single)) {
      throw new StrataCacheException(dir + ": no model weights (looked for " + SINGLE_FILE + " and, for a sharded checkpoint, "
          + INDEX_FILE + "; found neither)");
    }
    SafetensorsFile f = SafetensorsFile.open(single);
    Map<String, SafetensorsFile> by = new LinkedHashMap<>();
    for (String name : f.entries().keySet()) {
      by.put(name, f);
    }
    return new SafetensorsShards(dir, List.of(f), by);
  }

  private static SafetensorsShards openIndex(Path dir, Path index) {
    Map<String, String> weightMap = readWeightMap(index);
    Map<String, SafetensorsFile> shards = new LinkedHashMap<>();
    boolean success = false;
    try {
      for (String shard : new TreeSet<>(weightMap.values())) {
        if (shard.isEmpty() || shard.contains("/") || shard.contains("\\") || shard.equals(".") || shard.equals("..")) {
          throw new CodecException(index + ": weight_map names shard \"" + shard + "\" (expected: a file name in " + dir + ")");
        }
        Path p = dir.resolve(shard);
        if (!Files.isRegularFile(p)) {
          throw new CodecException(index + ": shard " + shard + " is missing from " + dir);
        }
        shards.put(shard, SafetensorsFile.open(p));
      }
      Map<String, SafetensorsFile> by = new LinkedHashMap<>();
      for (Map.Entry<String, String> e : weightMap.entrySet()) {
        SafetensorsFile f = shards.get(e.getValue());
        if (!f.contains(e.getKey())) {
          throw new CodecException(index + ": tensor " + e.getKey() + " is mapped to " + e.getValue() + ", which does not hold it");
        }
        by.put(e.getKey(), f);
      }
      for (Map.Entry<String, SafetensorsFile> s : shards.entrySet()) {
        for (String name : s.getValue().entries().keySet()) {
          if (!s.getKey().equals(weightMap.get(name))) {
            throw new CodecException(index + ": shard " + s.getKey() + " holds tensor " + name + ", which weight_map "
                + (weightMap.containsKey(name) ? "maps to " + weightMap.get(name) : "does not list"));
          }
        }
      }
      SafetensorsShards result = new SafetensorsShards(dir, new ArrayList<>(shards.values()), by);
      success = true;
      return result;
    } finally {
      if (!success) {
        shards.values().forEach(SafetensorsFile::close);
      }
    }
  }

  private static Map<String, String> readWeightMap(Path index) {
    JsonNode root;
    try {
      root = JSON.readTree(Files.readString(index));
    } catch (IOException e) {
      throw new CodecException(index + ": cannot read the shard index: " + e.getMessage(), e);
    }
    JsonNode map = root == null ? null : root.get("weight_map");
    if (map == null || !map.isObject() || map.isEmpty()) {
      throw new CodecException(index + ": weight_map: " + map + " (expected: an object mapping tensor names to shard files)");
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> e : map.properties()) {
      if (!e.getValue().isTextual()) {
        throw new CodecException(index + ": weight_map." + e.getKey() + ": " + e.getValue() + " (expected: a shard file name)");
      }
      out.put(e.getKey(), e.getValue().asText());
    }
    return out;
  }

  /** The directory. */
  public Path dir() {
    return dir;
  }

  /** The files opened: one, or the shards in name order. */
  public List<SafetensorsFile> files() {
    return files;
  }

  /** Every tensor name, in header (or index) order. */
  public Set<String> names() {
    return byTensor.keySet();
  }

  /** Whether some file has tensor {@code name}. */
  public boolean contains(String name) {
    return byTensor.containsKey(name);
  }

  /**
   * The entry of tensor {@code name}.
   *
   * @throws CodecException if no file has it
   */
  public TensorEntry entry(String name) {
    return file(name).entry(name);
  }

  /**
   * The raw bytes of tensor {@code name}, a read-only slice valid until {@link #close()}.
   *
   * @throws CodecException if no file has it
   */
  public MemorySegment bytes(String name) {
    return file(name).bytes(name);
  }

  /**
   * The file that holds tensor {@code name}.
   *
   * @throws CodecException if no file has it
   */
  public SafetensorsFile file(String name) {
    SafetensorsFile f = byTensor.get(name);
    if (f == null) {
      throw new CodecException(dir + ": no tensor " + name + " (the weights have " + byTensor.size() + " tensors in "
          + files.size() + (files.size() == 1 ? " file)" : " shards)"));
    }
    return f;
  }

  /** Unmaps every file. Idempotent. */
  @Override
  public void close() {
    files.forEach(SafetensorsFile::close);
  }
}
