package io.stratacache.core;

import java.util.Locale;

/** What an artifact holds. The store treats every type alike; adapters and policies may not. */
public enum ArtifactType {
  /** A chunk of KV cache (one or all layers of a run of tokens). */
  KV_BLOCKS,
  /** A chunk of model parameters. */
  PARAM_CHUNK,
  /** A chunk of optimizer state. */
  OPTIMIZER_CHUNK,
  /** A shard of a tensor. */
  TENSOR_SHARD,
  /** Mixture-of-experts expert weights. */
  MOE_WEIGHTS,
  /** KV cache of image tokens. */
  IMAGE_KV,
  /** An entry of an agent's memory. */
  MEMORY_ENTRY,
  /** Anything else. */
  CUSTOM;

  /**
   * Parses a type name, case-insensitively.
   *
   * @throws IllegalArgumentException naming the value and the valid names
   */
  public static ArtifactType parse(String name) {
    try {
      return valueOf(name.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "artifact type: \"" + name + "\" (expected one of " + java.util.Arrays.toString(values()) + ")", e);
    }
  }
}
