package io.stratacache.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.stratacache.config.SectionValues;
import io.stratacache.config.StrataConfig;
import io.stratacache.core.LayerUnavailableException;
import io.stratacache.kv.TelemetrySection;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A Prometheus scrape endpoint: {@code GET http://HOST:PORT/metrics} answers the registry's meters
 * in the Prometheus text format. It binds the loopback address unless told otherwise ({@code
 * telemetry.prometheus_host}), so the plane's figures are not served to the network by accident.
 * Runs on one daemon thread; {@link #close()} stops it.
 */
public final class PrometheusEndpoint implements AutoCloseable {
  /** The path served. */
  public static final String PATH = "/metrics";

  private static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private final HttpServer server;
  private final ExecutorService executor;

  private PrometheusEndpoint(HttpServer server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
  }

  /**
   * Serves {@code registry} on {@code host:port} ({@code port} 0: any free port).
   *
   * @throws IllegalArgumentException if {@code port} is not 0 to 65535 or {@code host} is blank
   * @throws LayerUnavailableException if the address cannot be bound (in use, say), naming it
   */
  public static PrometheusEndpoint start(PrometheusMeterRegistry registry, String host, int port) {
    Objects.requireNonNull(registry, "registry");
    Objects.requireNonNull(host, "host");
    if (host.isBlank()) {
      throw new IllegalArgumentException("host: \"" + host + "\" (expected: a host name or IP address to bind)");
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port: " + port + " (expected: 0 to 65535)");
    }
    HttpServer server;
    try {
      server = HttpServer.create(new InetSocketAddress(host, port), 16);
    } catch (IOException e) {
      throw new LayerUnavailableException("Prometheus endpoint: cannot bind " + host + ":" + port + ": " + e.getMessage(), e);
    }
    ExecutorService executor = Executors.newSingleThreadExecutor(r -> Thread.ofPlatform().name("stratacache-prometheus")
        .daemon(true).unstarted(r));
    server.setExecutor(executor);
    server.createContext("/", exchange -> serve(exchange, registry));
    server.start();
    return new PrometheusEndpoint(server, executor);
  }

  /**
   * Starts the endpoint {@code config}'s {@code telemetry:} section asks for ({@code export:
   * prometheus}, {@code prometheus_host}, {@code prometheus_port}), or none.
   */
  public static Optional<PrometheusEndpoint> fromConfig(StrataConfig config, PrometheusMeterRegistry registry) {
    SectionValues t = Objects.requireNonNull(config, "config").section(TelemetrySection.NAME);
    if (!"prometheus".equals(t.get(TelemetrySection.EXPORT))) {
      return Optional.empty();
    }
    return Optional.of(start(registry, t.get(TelemetrySection.PROMETHEUS_HOST), t.get(TelemetrySection.PROMETHEUS_PORT)));
  }

  private static void serve(HttpExchange exchange, PrometheusMeterRegistry registry) throws IOException {
    try (exchange) {
      if (!exchange.getRequestURI().getPath().equals(PATH)) {
        reply(exchange, 404, "not found; the meters are at " + PATH + "\n", "text/plain; charset=utf-8");
      } else if (!exchange.getRequestMethod().equals("GET") && !exchange.getRequestMethod().equals("HEAD")) {
        exchange.getResponseHeaders().add("Allow", "GET, HEAD");
        reply(exchange, 405, "method not allowed\n", "text/plain; charset=utf-8");
      } else {
        reply(exchange, 200, registry.scrape(), CONTENT_TYPE);
      }
    }
  }

  private static void reply(HttpExchange exchange, int status, String body, String type) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", type);
    boolean head = exchange.getRequestMethod().equals("HEAD");
    exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
    if (!head) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    }
  }

  /** The address bound (with the port chosen, when 0 was asked). */
  public InetSocketAddress address() {
    return server.getAddress();
  }

  /** {@code http://HOST:PORT/metrics}. */
  public URI uri() {
    InetSocketAddress a = address();
    String host = a.getAddress().getHostAddress();
    if (host.contains(":")) {
      host = "[" + host + "]";
    }
    return URI.create("http://" + host + ":" + a.getPort() + PATH);
  }

  /** Stops serving. Idempotent. */
  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }

  @Override
  public String toString() {
    return "PrometheusEndpoint[" + uri() + "]";
  }
}
