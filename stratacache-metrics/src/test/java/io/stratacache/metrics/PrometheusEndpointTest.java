package io.stratacache.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.stratacache.config.StrataConfig;
import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.ArtifactType;
import io.stratacache.core.ConfigException;
import io.stratacache.core.LayerUnavailableException;
import io.stratacache.engine.StorageEngine;
import java.lang.foreign.Arena;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/** {@code telemetry.export: prometheus}: a scrape of the endpoint returns the engine's meters. */
class PrometheusEndpointTest {
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private static HttpResponse<String> get(URI uri) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(uri).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aScrape_returnsTheEnginesMeters_fromALoopbackEndpoint() throws Exception {
    StrataConfig config = StrataConfig.parse("""
        tiers: [{name: hot, provider: cpu, capacity: 1MiB}]
        telemetry: {export: prometheus, prometheus_port: 0}
        """, "test");
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    try (StorageEngine engine = StorageEngine.open(config);
        StrataMetrics _ = StrataMetrics.bind(engine, registry, Tags.of("plane", "p1"));
        PrometheusEndpoint endpoint = PrometheusEndpoint.fromConfig(config, registry).orElseThrow();
        Arena arena = Arena.ofConfined()) {
      assertTrue(endpoint.address().getAddress().isLoopbackAddress(), "bound to loopback by default: " + endpoint);
      engine.store(ArtifactId.of("x"), ArtifactMeta.of(ArtifactType.CUSTOM), arena.allocate(4096));
      HttpResponse<String> r = get(endpoint.uri());
      assertEquals(200, r.statusCode());
      assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"), r.headers().toString());
      String body = r.body();
      assertTrue(body.contains("stratacache_tier_puts_total{plane=\"p1\",provider=\"cpu\",tier=\"hot\"} 1.0"), body);
      assertTrue(body.contains("stratacache_tier_capacity_bytes{plane=\"p1\",provider=\"cpu\",tier=\"hot\"} 1048576.0"), body);
      assertTrue(body.contains("# HELP stratacache_tier_hits_total Loads this tier served"), body);
      assertEquals(404, get(endpoint.uri().resolve("/other")).statusCode());
    }
  }

  @Test
  void withoutPrometheusExport_noEndpointStarts_andBadSettingsAreRefused() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    StrataConfig none = StrataConfig.parse("tiers: [{name: hot, provider: cpu, capacity: 1MiB}]\n", "test");
    assertTrue(PrometheusEndpoint.fromConfig(none, registry).isEmpty());
    ConfigException e = assertThrows(ConfigException.class, () -> StrataConfig.parse(
        "tiers: [{name: hot, provider: cpu, capacity: 1MiB}]\ntelemetry: {export: prometheus, prometheus_port: 70000}\n", "t.yaml"));
    assertTrue(e.getMessage().contains("telemetry.prometheus_port = 70000 (expected: a TCP port, 0 to 65535"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> PrometheusEndpoint.start(registry, "127.0.0.1", -1));
    try (PrometheusEndpoint first = PrometheusEndpoint.start(registry, "127.0.0.1", 0)) {
      int port = first.address().getPort();
      LayerUnavailableException busy = assertThrows(LayerUnavailableException.class,
          () -> PrometheusEndpoint.start(registry, "127.0.0.1", port));
      assertTrue(busy.getMessage().startsWith("Prometheus endpoint: cannot bind 127.0.0.1:" + port), busy.getMessage());
    }
  }
}
