package io.stratacache.kv;

/**
 * The kind of memory a tier is made of, from its provider name: what a lookup's per-tier
 * breakdown groups by (tokens from GPU, CPU, CXL, SSD or a remote store).
 */
public enum KvMedium {
  /** Device memory (provider {@code cuda}). */
  GPU,
  /** Host memory (provider {@code cpu}). */
  CPU,
  /** CXL or shared memory (provider {@code cxl}). */
  CXL,
  /** Local files (provider {@code ssd}). */
  SSD,
  /** A remote store (provider {@code redis}). */
  REMOTE,
  /** Any other provider. */
  OTHER;

  /** The medium of a tier opened by {@code provider}. */
  public static KvMedium ofProvider(String provider) {
    return switch (provider) {
      case "cuda", "gpu" -> GPU;
      case "cpu" -> CPU;
      case "cxl" -> CXL;
      case "ssd" -> SSD;
      case "redis", "remote" -> REMOTE;
      default -> OTHER;
    };
  }
}
