package io.stratacache.backend.redis;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCredentials;
import io.lettuce.core.RedisCredentialsProvider;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.SslOptions;
import io.lettuce.core.SslVerifyMode;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import io.lettuce.core.resource.DefaultClientResources;
import io.stratacache.core.ConfigException;
import io.stratacache.core.LayerUnavailableException;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * The connection to one Redis deployment, standalone or cluster, behind one small surface: the
 * async commands (routed by key in a cluster), the sync commands for {@code SCAN}, and per-master
 * {@code INFO}. A standalone connection refuses commands at once while disconnected; a cluster's
 * node connections (opened lazily) queue them until connected or timed out; either way the
 * layer's circuit breaker decides what that means. Lettuce reconnects in the background, and a
 * cluster's topology is refreshed periodically and on MOVED, ASK and lost nodes. A command that
 * timed out is never sent later.
 *
 * <p>The password is read from its environment variable or file each time a connection
 * authenticates, so it is never kept in configuration objects, never part of a URI and never in
 * a message.
 */
final class RedisNodes implements AutoCloseable {
  private final ClientResources resources;
  private final RedisClient client;
  private final RedisClusterClient clusterClient;
  private final StatefulRedisConnection<byte[], RedisCodec.Value> standalone;
  private final StatefulRedisClusterConnection<byte[], RedisCodec.Value> cluster;
  private final String description;

  private RedisNodes(
      ClientResources resources,
      RedisClient client,
      RedisClusterClient clusterClient,
      StatefulRedisConnection<byte[], RedisCodec.Value> standalone,
      StatefulRedisClusterConnection<byte[], RedisCodec.Value> cluster,
      String description) {
    this.resources = resources;
    this.client = client;
    this.clusterClient = clusterClient;
    this.standalone = standalone;
    this.cluster = cluster;
    this.description = description;
  }

  /** Where the layer connects, for messages: {@code redis 127.0.0.1:6379} or {@code redis cluster a:1,b:2}. */
  static String describe(RedisConfig config) {
    String hosts = config.uris().stream().map(u -> u.getHost() + ":" + port(u)).collect(Collectors.joining(","));
    return (config.cluster() ? "redis cluster " : "redis ") + hosts;
  }

  /**
   * Connects as {@code config} says.
   *
   * @throws LayerUnavailableException if no server answers
   * @throws ConfigException if the password file cannot be read
   */
  static RedisNodes connect(RedisConfig config, String tier) {
    String description = describe(config);
    Supplier<RedisCredentials> credentials = credentials(config, tier);
    List<RedisURI> uris = new ArrayList<>();
    for (URI u : config.uris()) {
      RedisURI r = RedisURI.create(u.getHost(), port(u));
      String path = u.getPath();
      if (path != null && path.length() > 1) {
        r.setDatabase(Integer.parseInt(path.substring(1)));
      }
      r.setSsl(config.tls());
      if (config.tls()) {
        r.setVerifyPeer(switch (config.tlsVerify()) {
          case "none" -> SslVerifyMode.NONE;
          case "ca" -> SslVerifyMode.CA;
          default -> SslVerifyMode.FULL;
        });
      }
      r.setTimeout(config.commandTimeout());
      r.setClientName("stratacache");
      if (credentials != null) {
        r.setCredentialsProvider(RedisCredentialsProvider.from(credentials));
      }
      uris.add(r);
    }
    ClientResources resources = DefaultClientResources.builder()
        .ioThreadPoolSize(Math.max(2, Runtime.getRuntime().availableProcessors() / 2))
        .computationThreadPoolSize(2)
        .reconnectDelay(Delay.exponential(Duration.ofMillis(20), Duration.ofSeconds(1), 2, TimeUnit.MILLISECONDS))
        .build();
    SocketOptions socket = SocketOptions.builder().connectTimeout(config.connectTimeout()).keepAlive(true).build();
    TimeoutOptions timeouts = TimeoutOptions.enabled(config.commandTimeout());
    SslOptions ssl = config.tlsCaFile() == null ? SslOptions.create() : SslOptions.builder().jdkSslProvider().trustManager(config.tlsCaFile().toFile()).build();
    boolean success = false;
    RedisClient client = null;
    RedisClusterClient clusterClient = null;
    try {
      RedisNodes nodes;
      if (config.cluster()) {
        clusterClient = RedisClusterClient.create(resources, uris);
        clusterClient.setOptions(ClusterClientOptions.builder()
            .socketOptions(socket)
            .timeoutOptions(timeouts)
            .sslOptions(ssl)
            .autoReconnect(true)
            // node connections open lazily, on a slot's first command: that command must wait for
            // the connect, not be refused; a node that stays down shows as time-outs instead
            .disconnectedBehavior(ClientOptions.DisconnectedBehavior.ACCEPT_COMMANDS)
            .requestQueueSize(100_000)
            .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
                .enablePeriodicRefresh(config.topologyRefresh())
                // every adaptive trigger (MOVED, ASK, persistent reconnects, uncovered slot, unknown node) is on by default
                
                .adaptiveRefreshTriggersTimeout(Duration.ofMillis(Math.min(1000, config.topologyRefresh().toMillis())))
                .refreshTriggersReconnectAttempts(2)
                .build())
            .validateClusterNodeMembership(false)
            .maxRedirects(5)
            .build());
        StatefulRedisClusterConnection<byte[], RedisCodec.Value> c = clusterClient.connect(RedisCodec.INSTANCE);
        nodes = new RedisNodes(resources, null, clusterClient, null, c, description);
      } else {
        client = RedisClient.create(resources, uris.getFirst());
        client.setOptions(ClientOptions.builder()
            .socketOptions(socket)
            .timeoutOptions(timeouts)
            .sslOptions(ssl)
            .autoReconnect(true)
            .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
            .build());
        StatefulRedisConnection<byte[], RedisCodec.Value> c = client.connect(RedisCodec.INSTANCE);
        nodes = new RedisNodes(resources, client, null, c, null, description);
      }
      success = true;
      return nodes;
    } catch (io.lettuce.core.RedisException e) {
      throw new LayerUnavailableException("tier '" + tier + "': cannot connect to " + description + ": " + RedisLayer.describe(e), e);
    } finally {
      if (!success) {
        if (client != null) {
          client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
        if (clusterClient != null) {
          clusterClient.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
        resources.shutdown(0, 2, TimeUnit.SECONDS);
      }
    }
  }

  private static int port(URI u) {
    return u.getPort() < 0 ? 6379 : u.getPort();
  }

  private static Supplier<RedisCredentials> credentials(RedisConfig config, String tier) {
    if (config.passwordEnv() == null && config.passwordFile() == null) {
      return config.username() == null ? null : () -> RedisCredentials.just(config.username(), (CharSequence) null);
    }
    // read once now so that a missing secret is a clear error at open, not a failed handshake later
    readPassword(config, tier);
    return () -> RedisCredentials.just(config.username(), readPassword(config, tier));
  }

  private static char[] readPassword(RedisConfig config, String tier) {
    if (config.passwordEnv() != null) {
      String v = System.getenv(config.passwordEnv());
      if (v == null || v.isEmpty()) {
        throw new ConfigException(
            "tier '" + tier + "': environment variable " + config.passwordEnv() + " named by password_env is not set (expected: the Redis password)");
      }
      return v.toCharArray();
    }
    try {
      String s = Files.readString(config.passwordFile(), StandardCharsets.UTF_8);
      s = s.endsWith("\r\n") ? s.substring(0, s.length() - 2) : s.endsWith("\n") ? s.substring(0, s.length() - 1) : s;
      if (s.isEmpty()) {
        throw new ConfigException("tier '" + tier + "': password_file " + config.passwordFile() + " is empty (expected: the Redis password)");
      }
      return s.toCharArray();
    } catch (IOException e) {
      throw new ConfigException(
          "tier '" + tier + "': password_file " + config.passwordFile() + " cannot be read (expected: a readable file holding the Redis password): "
              + e.getClass().getSimpleName());
    }
  }

  /** Whether the servers form a cluster. */
  boolean isCluster() {
    return cluster != null;
  }

  /** Async commands; a cluster routes each by its key's slot. */
  RedisClusterAsyncCommands<byte[], RedisCodec.Value> async() {
    return cluster != null ? cluster.async() : standalone.async();
  }

  /** Sync commands; in a cluster, {@code SCAN} covers every master. */
  RedisClusterCommands<byte[], RedisCodec.Value> sync() {
    return cluster != null ? cluster.sync() : standalone.sync();
  }

  /** {@code INFO section} of every master (one for a standalone server). */
  List<String> infoOfMasters(String section) {
    if (cluster == null) {
      return List.of(standalone.sync().info(section));
    }
    List<String> out = new ArrayList<>();
    for (RedisClusterNode node : cluster.getPartitions()) {
      if (node.is(RedisClusterNode.NodeFlag.UPSTREAM) && !node.is(RedisClusterNode.NodeFlag.FAIL)
          && !node.getSlots().isEmpty()) {
        out.add(cluster.getConnection(node.getNodeId()).sync().info(section));
      }
    }
    return out;
  }

  /** {@code CONFIG GET name} of every master; a server that refuses CONFIG, or does not answer, yields nothing. */
  List<String> configOfMasters(String name) {
    List<String> out = new ArrayList<>();
    List<io.lettuce.core.api.sync.RedisServerCommands<byte[], RedisCodec.Value>> servers = new ArrayList<>();
    if (cluster == null) {
      servers.add(standalone.sync());
    } else {
      for (RedisClusterNode node : cluster.getPartitions()) {
        if (node.is(RedisClusterNode.NodeFlag.UPSTREAM)) {
          servers.add(cluster.getConnection(node.getNodeId()).sync());
        }
      }
    }
    for (var s : servers) {
      try {
        String v = s.configGet(name).get(name);
        if (v != null) {
          out.add(v);
        }
      } catch (io.lettuce.core.RedisException refusedOrUnreachable) {
        // managed services often disable CONFIG, and a node may be down: the caller falls back to its default
      }
    }
    return out;
  }

  String description() {
    return description;
  }

  @Override
  public void close() {
    try {
      if (standalone != null) {
        standalone.close();
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
      }
      if (cluster != null) {
        cluster.close();
        clusterClient.shutdown(Duration.ZERO, Duration.ofSeconds(2));
      }
    } finally {
      resources.shutdown(0, 2, TimeUnit.SECONDS);
    }
  }
}
