package io.stratacache.cli;

import io.stratacache.config.ConfigSections;
import io.stratacache.config.LinkConfig;
import io.stratacache.config.StrataConfig;
import io.stratacache.config.TierConfig;
import io.stratacache.core.ConfigException;
import io.stratacache.spi.LayerProvider;
import io.stratacache.spi.LayerProviders;
import io.stratacache.spi.Plugins;
import io.stratacache.spi.ProbeResult;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code stratacache config}: subcommand {@code check}. */
@Command(name = "config", mixinStandardHelpOptions = true, description = "Configuration tools: config check.",
    synopsisSubcommandLabel = "COMMAND", subcommands = ConfigCommand.Check.class)
final class ConfigCommand implements Callable<Integer> {
  @ParentCommand Main main;
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    throw new picocli.CommandLine.ParameterException(spec.commandLine(), "a subcommand is required (expected: check)");
  }

  /**
   * {@code stratacache config check [FILE]}: reads and checks the configuration (every tier's
   * provider found and its settings valid), then prints every effective value with where it came
   * from: a file and line, an environment variable, or the default. Secrets (passwords, tokens,
   * the user part of a URI) are printed as {@code ***}. Exit status 3 when it is not valid.
   */
  @Command(name = "check", mixinStandardHelpOptions = true, description = {
      "Validate the configuration, then print every value and where it came from.",
      "Checks FILE, else -c, -Dstratacache.config, STRATACACHE_CONFIG or the packaged default.",
      "Secrets (passwords, tokens, the user part of a URI) are printed as ***."})
  static final class Check implements Callable<Integer> {
    private static final Pattern SECRET_KEY = Pattern.compile("(?i).*(password|passwd|secret|token|credential).*");
    private static final Pattern URI_USER = Pattern.compile("^([a-zA-Z][a-zA-Z0-9+.-]*://)[^/@]+@");

    @ParentCommand ConfigCommand parent;

    @Parameters(arity = "0..1", paramLabel = "FILE", description = "The file to check (default: the one the commands use).")
    String file;

    @Override
    public Integer call() {
      Main main = parent.main;
      StrataConfig c = file != null ? StrataConfig.load(Main.path(file, "FILE"), main.env) : main.configuration();
      Plugins plugins = Plugins.of(c.plugins(), null);
      LayerProviders found = LayerProviders.in(plugins);
      ConfigSections sections = ConfigSections.in(plugins);
      Map<Integer, String> unavailable = new LinkedHashMap<>();
      for (int i = 0; i < c.tiers().size(); i++) {
        TierConfig t = c.tiers().get(i);
        LayerProvider p = found.providers().get(t.provider());
        if (p == null) {
          throw new ConfigException(c.where("tiers[" + i + "].provider") + " = \"" + t.provider() + "\" (" + found.missing(t.provider()) + ")");
        }
        sections.checkTier(c.spec(i));
        ProbeResult probe = p.probe();
        if (!probe.available()) {
          unavailable.put(i, probe.reason());
        }
      }
      var out = main.out;
      out.println("configuration: " + c.source() + " (valid)");
      out.println("tiers:");
      for (int i = 0; i < c.tiers().size(); i++) {
        TierConfig t = c.tiers().get(i);
        String p = "tiers[" + i + "]";
        line(out, 1, "- name", t.name(), c.origin(p + ".name"));
        line(out, 1, "  provider", t.provider(), c.origin(p + ".provider"));
        t.settings().forEach((k, v) -> line(out, 1, "  " + k, redact(k, v), c.origin(p + "." + k)));
        if (unavailable.containsKey(i)) {
          out.printf(Locale.ROOT, "      (note: provider %s is unavailable on this machine: %s)%n", t.provider(), unavailable.get(i));
        }
      }
      out.println("links:");
      for (int j = 0; j < c.links().size(); j++) {
        LinkConfig l = c.links().get(j);
        line(out, 1, "- " + l.from() + " -> " + l.to(), l.mode().configName(), c.origin("links[" + j + "].mode"));
      }
      out.println("chain:");
      line(out, 1, "promote_on_hit", c.chain().promoteOnHit(), c.origin("chain.promote_on_hit"));
      line(out, 1, "demote_on_evict", c.chain().demoteOnEvict(), c.origin("chain.demote_on_evict"));
      out.println("writeback:");
      var w = c.writeback();
      line(out, 1, "flush_interval_ms", w.flushInterval().toMillis(), c.origin("writeback.flush_interval_ms"));
      line(out, 1, "retry_backoff_min_ms", w.retryBackoffMin().toMillis(), c.origin("writeback.retry_backoff_min_ms"));
      line(out, 1, "retry_backoff_max_ms", w.retryBackoffMax().toMillis(), c.origin("writeback.retry_backoff_max_ms"));
      line(out, 1, "close_timeout_ms", w.closeTimeout().toMillis(), c.origin("writeback.close_timeout_ms"));
      line(out, 1, "max_dirty_bytes", w.maxDirtyBytes(), c.origin("writeback.max_dirty_bytes"));
      line(out, 1, "backpressure", w.backpressure().name().toLowerCase(Locale.ROOT).replace('_', '-'),
          c.origin("writeback.backpressure"));
      c.sections().forEach((name, values) -> {
        out.println(name + ":");
        values.asMap().forEach((k, v) -> line(out, 1, k, redact(k, v), c.origin(name + "." + k)));
      });
      if (!c.plugins().isEmpty()) {
        out.println("plugins: " + c.plugins());
      }
      return Main.OK;
    }

    private static void line(java.io.PrintStream out, int depth, String key, Object value, String origin) {
      String left = "  ".repeat(depth) + key + ": " + render(value);
      out.printf(Locale.ROOT, "%-48s # %s%n", left, origin);
    }

    private static String render(Object v) {
      return v instanceof java.time.Duration d ? d.toMillis() + "ms" : String.valueOf(v);
    }

    /** {@code value} with secrets replaced by {@code ***}. */
    static Object redact(String key, Object value) {
      if (value == null) {
        return null;
      }
      boolean names = key.endsWith("_env") || key.endsWith("_file"); // where the secret is, not the secret
      if (!names && SECRET_KEY.matcher(key).matches()) {
        return "***";
      }
      if (value instanceof String s) {
        return URI_USER.matcher(s).replaceFirst("$1***@");
      }
      if (value instanceof java.util.List<?> list) {
        return list.stream().map(x -> redact(key, x)).toList();
      }
      return value;
    }
  }
}
