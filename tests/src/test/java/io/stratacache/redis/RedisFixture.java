package io.stratacache.redis;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A {@code redis-server} (or a cluster of six) in a temporary directory, for a test class: start
 * it in {@code @BeforeAll}, close it in {@code @AfterAll}, which kills every process and deletes
 * the directory.
 */
public final class RedisFixture implements AutoCloseable {
  private final RedisServers servers = new RedisServers();
  private final Path root;
  private final List<RedisServers.Server> nodes;

  private RedisFixture(Path root, boolean cluster, String... extra) throws IOException, InterruptedException {
    this.root = root;
    boolean success = false;
    try {
      this.nodes = cluster ? servers.startCluster(root) : List.of(servers.start(root, extra));
      success = true;
    } finally {
      if (!success) {
        servers.close();
      }
    }
  }

  /** One standalone server; skips the test if {@code redis-server} is not installed. */
  public static RedisFixture standalone(String... extra) throws IOException, InterruptedException {
    assumeTrue(RedisServers.installed(), "redis-server is not installed (apt-get install redis-server)");
    return new RedisFixture(Files.createTempDirectory("stratacache-redis"), false, extra);
  }

  /** Three masters with a replica each; skips the test if {@code redis-server} is not installed. */
  public static RedisFixture cluster() throws IOException, InterruptedException {
    assumeTrue(RedisServers.installed(), "redis-server is not installed (apt-get install redis-server)");
    return new RedisFixture(Files.createTempDirectory("stratacache-redis-cluster"), true);
  }

  /** The standalone server's URI, or the cluster's seed URIs joined by commas. */
  public String uri() {
    return String.join(",", nodes.stream().map(RedisServers.Server::uri).toList());
  }

  /** The first server's port. */
  public int port() {
    return nodes.getFirst().port;
  }

  /** The servers, masters first for a cluster. */
  public List<RedisServers.Server> nodes() {
    return nodes;
  }

  /** Sends a command to the first server. */
  public String command(String... args) throws IOException {
    return nodes.getFirst().command(args);
  }

  @Override
  public void close() throws IOException {
    servers.close();
    try (Stream<Path> files = Files.walk(root)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
