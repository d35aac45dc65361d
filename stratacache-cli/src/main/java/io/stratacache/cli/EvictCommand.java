package io.stratacache.cli;

import io.stratacache.config.TierConfig;
import io.stratacache.core.ArtifactType;
import io.stratacache.spi.ArtifactAges;
import io.stratacache.spi.MemoryLayer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code stratacache evict}: deletes the artifacts that match every filter given ({@code
 * --older-than}, {@code --type}, {@code --prefix}) from the durable and shared tiers of the
 * configuration. At least one filter is required; {@code --dry-run} lists without deleting.
 */
@Command(name = "evict", mixinStandardHelpOptions = true, description = {
    "Delete the artifacts matching every filter given.",
    "Deletes from the durable and shared tiers; at least one of --older-than, --type and --prefix is required."})
final class EvictCommand implements Callable<Integer> {
  @ParentCommand Main main;
  @Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--older-than", paramLabel = "AGE", converter = AgeConverter.class,
      description = "Not used for longer than AGE (90s, 30m, 12h, 7d, 2w, PT1H).")
  Duration olderThan;

  @Option(names = "--type", paramLabel = "TYPE", description = "Of this artifact type: ${COMPLETION-CANDIDATES} (any case).")
  ArtifactType type;

  @Option(names = "--prefix", paramLabel = "PREFIX", description = "Whose id starts with PREFIX (e.g. kv/llama3/).")
  String prefix;

  @Option(names = "--tier", paramLabel = "NAME", description = "Only in this tier (repeatable); default: every tier.")
  List<String> tiers = new ArrayList<>();

  @Option(names = "--dry-run", description = "List what would be deleted; delete nothing.")
  boolean dryRun;

  /** Parses {@code --older-than}. */
  static final class AgeConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      try {
        return Sizes.duration(value);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.TypeConversionException(e.getMessage());
      }
    }
  }

  @Override
  public Integer call() {
    if (olderThan == null && type == null && prefix == null) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "a filter is required (expected: at least one of --older-than, --type and --prefix)");
    }
    if (prefix != null && prefix.isEmpty()) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--prefix \"\" (expected: a non-empty id prefix)");
    }
    MaintenanceTiers all = new MaintenanceTiers(main.configuration(), tiers);
    long[] total = new long[2];
    for (int i : all.selected()) {
      TierConfig t = all.config().tiers().get(i);
      if (all.inProcess(i)) {
        continue;
      }
      all.visit(i, (index, tier, layer) -> {
        long[] n = evict(tier, layer);
        total[0] += n[0];
        total[1] += n[1];
      });
    }
    main.out.printf(Locale.ROOT, "evict: %s %d artifacts, %s%n", dryRun ? "would delete" : "deleted", total[0], Sizes.human(total[1]));
    return Main.OK;
  }

  private long[] evict(TierConfig tier, MemoryLayer layer) {
    if (olderThan != null && !(layer instanceof ArtifactAges)) {
      throw new Main.UserError("tier " + tier.name() + " (provider " + tier.provider()
          + ") keeps no artifact ages, so --older-than cannot select in it (use --tier to leave it out)", Main.FAILED);
    }
    Instant cutoff = olderThan == null ? null : Instant.now().minus(olderThan);
    long count = 0;
    long bytes = 0;
    for (InspectCommand.Item it : InspectCommand.items(layer)) {
      boolean match = (prefix == null || it.id().value().startsWith(prefix))
          && (type == null || it.type() == type)
          && (cutoff == null || it.lastUsed() != null && it.lastUsed().isBefore(cutoff));
      if (!match) {
        continue;
      }
      if (dryRun || layer.delete(it.id())) {
        count++;
        bytes += it.size();
        if (dryRun) {
          main.out.printf(Locale.ROOT, "  %s: %s (%s, %s)%n", tier.name(), it.id(), it.type(), Sizes.human(it.size()));
        }
      }
    }
    main.out.printf(Locale.ROOT, "tier %s: %s %d artifacts, %s%n", tier.name(), dryRun ? "would delete" : "deleted", count,
        Sizes.human(bytes));
    return new long[] {count, bytes};
  }
}
