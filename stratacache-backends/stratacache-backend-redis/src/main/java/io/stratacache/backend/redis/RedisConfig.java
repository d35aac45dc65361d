package io.stratacache.backend.redis;

import io.stratacache.core.ArtifactType;
import io.stratacache.core.ConfigException;
import io.stratacache.spi.LayerSpec;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The Redis tier's settings, read from a {@link LayerSpec}. Secrets never appear here: the
 * password is named by the environment variable or the file that holds it, and is read when a
 * connection authenticates.
 *
 * <table>
 *   <caption>Settings</caption>
 *   <tr><th>key</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>{@code uri}</td><td>{@code redis://127.0.0.1:6379}</td><td>server or seed nodes:
 *       one URI, a comma-separated list or a YAML list; {@code redis://} or {@code rediss://}
 *       (TLS); no password in the URI</td></tr>
 *   <tr><td>{@code mode}</td><td>{@code standalone} for one URI, {@code cluster} for
 *       several</td><td>{@code standalone} or {@code cluster}</td></tr>
 *   <tr><td>{@code username}</td><td>none</td><td>ACL user</td></tr>
 *   <tr><td>{@code password_env}</td><td>none</td><td>environment variable holding the
 *       password</td></tr>
 *   <tr><td>{@code password_file}</td><td>none</td><td>file holding the password (trailing line
 *       break ignored)</td></tr>
 *   <tr><td>{@code tls}</td><td>{@code false}, {@code true} for {@code rediss://}</td><td>TLS to
 *       every node</td></tr>
 *   <tr><td>{@code tls_verify}</td><td>{@code full}</td><td>{@code full} (certificate and host
 *       name), {@code ca} (certificate only) or {@code none}</td></tr>
 *   <tr><td>{@code tls_ca_file}</td><td>the JDK's trust store</td><td>PEM file of the CA
 *       certificates to trust</td></tr>
 *   <tr><td>{@code connect_timeout_ms}</td><td>2000</td><td>TCP (and TLS) connect limit</td></tr>
 *   <tr><td>{@code command_timeout_ms}</td><td>5000</td><td>limit for one command; a command
 *       past it counts as a failure for the circuit breaker</td></tr>
 *   <tr><td>{@code key_prefix}</td><td>{@code stratacache:}</td><td>the plane's key prefix:
 *       processes that share it share artifacts</td></tr>
 *   <tr><td>{@code part_size}</td><td>4MiB</td><td>records above it are split into parts of this
 *       size</td></tr>
 *   <tr><td>{@code ttl}</td><td>0</td><td>seconds an artifact lives after its store; 0 =
 *       until Redis evicts it</td></tr>
 *   <tr><td>{@code ttl_<type>}</td><td>{@code ttl}</td><td>the same for one {@link ArtifactType}
 *       (e.g. {@code ttl_kv_blocks}); {@code kv_expire_time} is another name for
 *       {@code ttl_kv_blocks}</td></tr>
 *   <tr><td>{@code ttl_sliding}</td><td>{@code false}</td><td>a hit restarts the
 *       artifact's TTL</td></tr>
 *   <tr><td>{@code topology_refresh_ms}</td><td>30000</td><td>cluster: period of the topology
 *       refresh (it is also refreshed on MOVED, ASK and lost nodes)</td></tr>
 *   <tr><td>{@code breaker_failures}</td><td>3</td><td>consecutive connection failures or
 *       time-outs that open the circuit breaker</td></tr>
 *   <tr><td>{@code breaker_open_ms}</td><td>1000</td><td>how long an open breaker refuses
 *       calls before one probe is let through</td></tr>
 *   <tr><td>{@code capacity}</td><td>Redis {@code maxmemory}</td><td>capacity reported when the
 *       servers set no {@code maxmemory}</td></tr>
 * </table>
 *
 * @param uris server (standalone) or seed nodes (cluster)
 * @param cluster whether the servers form a Redis Cluster
 * @param username ACL user, or {@code null}
 * @param passwordEnv environment variable holding the password, or {@code null}
 * @param passwordFile file holding the password, or {@code null}
 * @param tls whether connections use TLS
 * @param tlsVerify {@code full}, {@code ca} or {@code none}
 * @param tlsCaFile PEM CA certificates, or {@code null} for the JDK's trust store
 * @param connectTimeout connect limit
 * @param commandTimeout command limit
 * @param keyPrefix the plane's key prefix
 * @param partSize largest piece of a record stored under one key
 * @param ttl per-type time to live; a missing or zero entry means none
 * @param ttlSliding whether a hit restarts the TTL
 * @param topologyRefresh cluster topology refresh period
 * @param breakerFailures consecutive failures that open the breaker
 * @param breakerOpen how long the breaker stays open before probing
 * @param capacityBytes capacity to report when no server sets {@code maxmemory}; 0 if unset
 */
public record RedisConfig(
    List<URI> uris,
    boolean cluster,
    String username,
    String passwordEnv,
    Path passwordFile,
    boolean tls,
    String tlsVerify,
    Path tlsCaFile,
    Duration connectTimeout,
    Duration commandTimeout,
    String keyPrefix,
    long partSize,
    Map<ArtifactType, Duration> ttl,
    boolean ttlSliding,
    Duration topologyRefresh,
    int breakerFailures,
    Duration breakerOpen,
    long capacityBytes) {

  /** Smallest {@code part_size} accepted. */
  public static final long MIN_PART_SIZE = 4096;

  /** Largest {@code part_size} accepted: Redis's own ceiling for one value. */
  public static final long MAX_PART_SIZE = 512L << 20;

  /** Default {@code part_size}. */
  public static final long DEFAULT_PART_SIZE = 4L << 20;

  /** Keys the {@code redis} provider understands besides {@link LayerSpec#COMMON_KEYS}. */
  public static final Set<String> KEYS = keys();

  private static Set<String> keys() {
    Set<String> k = new HashSet<>(List.of(
        "uri", "mode", "username", "password_env", "password_file", "tls", "tls_verify", "tls_ca_file",
        "connect_timeout_ms", "command_timeout_ms", "key_prefix", "part_size", "ttl", "kv_expire_time",
        "ttl_sliding", "topology_refresh_ms", "breaker_failures", "breaker_open_ms"));
    for (ArtifactType t : ArtifactType.values()) {
      k.add(ttlKey(t));
    }
    return Set.copyOf(k);
  }

  public RedisConfig {
    uris = List.copyOf(uris);
    Objects.requireNonNull(tlsVerify, "tlsVerify");
    Objects.requireNonNull(connectTimeout, "connectTimeout");
    Objects.requireNonNull(commandTimeout, "commandTimeout");
    Objects.requireNonNull(keyPrefix, "keyPrefix");
    ttl = Map.copyOf(ttl);
    Objects.requireNonNull(topologyRefresh, "topologyRefresh");
    Objects.requireNonNull(breakerOpen, "breakerOpen");
  }

  /** The setting that holds the TTL of {@code type}, e.g. {@code ttl_kv_blocks}. */
  public static String ttlKey(ArtifactType type) {
    return "ttl_" + type.name().toLowerCase(Locale.ROOT);
  }

  /** Time to live of artifacts of {@code type}; {@link Duration#ZERO} means none. */
  public Duration ttlOf(ArtifactType type) {
    return ttl.getOrDefault(type, Duration.ZERO);
  }

  /**
   * Reads and checks the settings of {@code spec}.
   *
   * @throws ConfigException naming the key, the value (never a secret) and what was expected
   */
  public static RedisConfig from(LayerSpec spec) {
    spec.requireKnownKeys(KEYS);
    List<URI> uris = uris(spec);
    String mode = spec.string("mode", uris.size() > 1 ? "cluster" : "standalone");
    if (!mode.equals("standalone") && !mode.equals("cluster")) {
      throw spec.error("mode", mode, "standalone or cluster");
    }
    boolean cluster = mode.equals("cluster");
    if (!cluster && uris.size() > 1) {
      throw spec.error("uri", uris.toString(), "one URI in mode standalone (several seed nodes need mode: cluster)");
    }
    boolean rediss = uris.stream().anyMatch(u -> u.getScheme().equals("rediss"));
    if (rediss && uris.stream().anyMatch(u -> u.getScheme().equals("redis"))) {
      throw spec.error("uri", uris.toString(), "the same scheme on every node, redis:// or rediss://");
    }
    boolean tls = spec.bool("tls", rediss);
    if (rediss && !tls) {
      throw spec.error("tls", false, "true, or redis:// URIs (rediss:// is TLS)");
    }
    String tlsVerify = spec.string("tls_verify", "full");
    if (!Set.of("full", "ca", "none").contains(tlsVerify)) {
      throw spec.error("tls_verify", tlsVerify, "full, ca or none");
    }
    Path caFile = spec.path("tls_ca_file", null);
    String username = spec.string("username", null);
    if (username != null && username.isBlank()) {
      throw spec.error("username", username, "a non-blank ACL user name");
    }
    String passwordEnv = spec.string("password_env", null);
    if (passwordEnv != null && !passwordEnv.matches("[A-Za-z_][A-Za-z0-9_]*")) {
      throw spec.error("password_env", passwordEnv, "the name of an environment variable");
    }
    Path passwordFile = spec.path("password_file", null);
    if (passwordEnv != null && passwordFile != null) {
      throw spec.error("password_file", passwordFile.toString(), "either password_env or password_file, not both");
    }
    Duration connect = millis(spec, "connect_timeout_ms", 2000);
    Duration command = millis(spec, "command_timeout_ms", 5000);
    String prefix = spec.string("key_prefix", "stratacache:");
    RedisKeys.checkPrefix(prefix, reason -> spec.error("key_prefix", prefix, reason));
    long partSize = spec.bytes("part_size", DEFAULT_PART_SIZE);
    if (partSize < MIN_PART_SIZE || partSize > MAX_PART_SIZE) {
      throw spec.error("part_size", spec.settings().get("part_size"), "a size from 4KiB to 512MiB");
    }
    Map<ArtifactType, Duration> ttl = new EnumMap<>(ArtifactType.class);
    Duration all = seconds(spec, "ttl", 0);
    for (ArtifactType t : ArtifactType.values()) {
      Duration d = spec.has(ttlKey(t)) ? seconds(spec, ttlKey(t), 0) : all;
      if (t == ArtifactType.KV_BLOCKS && spec.has("kv_expire_time")) {
        if (spec.has(ttlKey(t))) {
          throw spec.error("kv_expire_time", spec.settings().get("kv_expire_time"), "either kv_expire_time or ttl_kv_blocks, not both");
        }
        d = seconds(spec, "kv_expire_time", 0);
      }
      if (!d.isZero()) {
        ttl.put(t, d);
      }
    }
    boolean sliding = spec.bool("ttl_sliding", false);
    Duration refresh = millis(spec, "topology_refresh_ms", 30_000);
    long failures = spec.integer("breaker_failures", 3);
    if (failures < 1 || failures > 1000) {
      throw spec.error("breaker_failures", spec.settings().get("breaker_failures"), "an integer from 1 to 1000");
    }
    Duration open = millis(spec, "breaker_open_ms", 1000);
    long capacity = spec.has("capacity") ? spec.capacityBytes() : 0;
    return new RedisConfig(
        uris, cluster, username, passwordEnv, passwordFile, tls, tlsVerify, caFile, connect, command, prefix, partSize,
        ttl, sliding, refresh, (int) failures, open, capacity);
  }

  private static List<URI> uris(LayerSpec spec) {
    Object v = spec.settings().get("uri");
    List<String> raw = new ArrayList<>();
    if (v == null) {
      raw.add("redis://127.0.0.1:6379");
    } else if (v instanceof List<?> list) {
      for (Object o : list) {
        raw.add(String.valueOf(o));
      }
    } else if (v instanceof String s) {
      for (String part : s.split(",")) {
        raw.add(part.trim());
      }
    } else {
      throw spec.error("uri", v, "a redis:// or rediss:// URI, or a list of them");
    }
    if (raw.isEmpty()) {
      throw spec.error("uri", "[]", "at least one redis:// or rediss:// URI");
    }
    List<URI> out = new ArrayList<>();
    for (String s : raw) {
      out.add(uri(spec, s));
    }
    return out;
  }

  private static URI uri(LayerSpec spec, String s) {
    URI u;
    try {
      u = new URI(s);
    } catch (URISyntaxException e) {
      throw spec.error("uri", redact(s), "a URI such as redis://host:6379");
    }
    if (u.getRawUserInfo() != null) {
      // never echo what may be a password
      throw spec.error("uri", redact(s), "a URI without user or password (use username, password_env or password_file)");
    }
    if (!"redis".equals(u.getScheme()) && !"rediss".equals(u.getScheme())) {
      throw spec.error("uri", s, "a URI whose scheme is redis:// or rediss://");
    }
    if (u.getHost() == null || u.getHost().isEmpty()) {
      throw spec.error("uri", s, "a URI with a host, such as redis://127.0.0.1:6379");
    }
    if (u.getRawQuery() != null || (u.getRawPath() != null && !u.getRawPath().isEmpty() && !u.getRawPath().equals("/")
        && !u.getRawPath().matches("/\\d+"))) {
      throw spec.error("uri", s, "scheme, host, port and an optional database number, nothing else");
    }
    return u;
  }

  /** {@code s} with anything between {@code ://} and {@code @} replaced by {@code ***}. */
  static String redact(String s) {
    int scheme = s.indexOf("://");
    int at = s.lastIndexOf('@');
    if (at < 0) {
      return s;
    }
    int from = scheme < 0 ? 0 : scheme + 3;
    return from <= at ? s.substring(0, from) + "***" + s.substring(at) : "***";
  }

  private static Duration millis(LayerSpec spec, String key, long dflt) {
    long ms = spec.integer(key, dflt);
    if (ms <= 0 || ms > 86_400_000L) {
      throw spec.error(key, spec.settings().get(key), "milliseconds from 1 to 86400000");
    }
    return Duration.ofMillis(ms);
  }

  private static Duration seconds(LayerSpec spec, String key, double dflt) {
    double s = spec.number(key, dflt);
    if (!(s >= 0) || s > 365.0 * 86_400) {
      throw spec.error(key, spec.settings().get(key), "seconds from 0 (no TTL) to one year");
    }
    return Duration.ofNanos(Math.round(s * 1e9));
  }
}
