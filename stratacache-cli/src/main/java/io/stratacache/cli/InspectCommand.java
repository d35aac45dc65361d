package io.stratacache.cli;

import io.stratacache.config.TierConfig;
import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactType;
import io.stratacache.spi.ArtifactAges;
import io.stratacache.spi.LayerStats;
import io.stratacache.spi.Lease;
import io.stratacache.spi.MemoryLayer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code stratacache inspect}: the tiers of the configuration (provider, capacity, usage), and for
 * each tier that holds artifacts outside a running process, the counts and bytes by artifact type
 * and the largest and oldest artifacts.
 */
@Command(name = "inspect", mixinStandardHelpOptions = true, description = {
    "The tiers, their usage, artifacts by type, and the largest and oldest artifacts.",
    "Tiers of in-process providers (cpu) hold nothing outside a running process and are not opened."})
final class InspectCommand implements Callable<Integer> {
  @ParentCommand Main main;
  @Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--tier", paramLabel = "NAME", description = "Inspect only this tier (repeatable); default: every tier.")
  List<String> tiers = new ArrayList<>();

  @Option(names = "--top", paramLabel = "N", defaultValue = "5", description = "How many of the largest and oldest to list (default: ${DEFAULT-VALUE}).")
  int top;

  /** One artifact as inspect sees it. */
  record Item(ArtifactId id, ArtifactType type, long size, Instant lastUsed) {}

  @Override
  public Integer call() {
    if (top < 0) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--top " + top + " (expected: 0 or more)");
    }
    MaintenanceTiers all = new MaintenanceTiers(main.configuration(), tiers);
    main.out.println("configuration: " + all.config().source());
    for (int i : all.selected()) {
      TierConfig t = all.config().tiers().get(i);
      if (all.inProcess(i)) {
        main.out.printf(Locale.ROOT, "tier %s (provider %s): holds nothing outside a running process; not opened%n", t.name(),
            t.provider());
        continue;
      }
      all.visit(i, (index, tier, layer) -> describe(tier, layer));
    }
    return Main.OK;
  }

  private void describe(TierConfig tier, MemoryLayer layer) {
    LayerStats s = layer.stats();
    main.out.printf(Locale.ROOT, "tier %s (provider %s): %s used of %s (%.1f%%), %d artifacts%n", tier.name(), tier.provider(),
        Sizes.human(s.usedBytes()), Sizes.human(s.capacityBytes()),
        s.capacityBytes() == 0 ? 0.0 : 100.0 * s.usedBytes() / s.capacityBytes(), s.artifacts());
    List<Item> items = items(layer);
    Map<ArtifactType, long[]> byType = new EnumMap<>(ArtifactType.class);
    for (Item it : items) {
      long[] c = byType.computeIfAbsent(it.type(), k -> new long[2]);
      c[0]++;
      c[1] += it.size();
    }
    byType.forEach((type, c) -> main.out.printf(Locale.ROOT, "  %-16s %8d artifacts %12s%n", type, c[0], Sizes.human(c[1])));
    if (items.isEmpty() || top == 0) {
      return;
    }
    main.out.println("  largest:");
    items.stream().sorted(Comparator.comparingLong(Item::size).reversed().thenComparing(Item::id)).limit(top)
        .forEach(it -> main.out.printf(Locale.ROOT, "    %12s  %-16s %s%n", Sizes.human(it.size()), it.type(), it.id()));
    if (!(layer instanceof ArtifactAges)) {
      main.out.printf(Locale.ROOT, "  oldest: not known (provider %s keeps no artifact ages)%n", tier.provider());
      return;
    }
    Instant now = Instant.now();
    main.out.println("  oldest (by last use):");
    items.stream().filter(it -> it.lastUsed() != null).sorted(Comparator.comparing(Item::lastUsed).thenComparing(Item::id))
        .limit(top).forEach(it -> main.out.printf(Locale.ROOT, "    %12s  %-16s %s%n",
            Sizes.age(Duration.between(it.lastUsed(), now)) + " ago", it.type(), it.id()));
  }

  /** Every artifact of {@code layer} with its type, size and (where kept) age; ones gone meanwhile are skipped. */
  static List<Item> items(MemoryLayer layer) {
    List<Item> items = new ArrayList<>();
    ArtifactAges ages = layer instanceof ArtifactAges a ? a : null;
    for (ArtifactId id : layer.ids()) {
      try (Lease lease = layer.get(id)) {
        if (lease == null) {
          continue;
        }
        items.add(new Item(id, lease.meta().type(), lease.size(), ages == null ? null : ages.lastUsed(id)));
      }
    }
    return items;
  }
}
