package io.stratacache.cli;

import io.stratacache.config.TierConfig;
import io.stratacache.spi.CheckReport;
import io.stratacache.spi.Checkable;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code stratacache fsck} and {@code stratacache repair}: each durable tier of the configuration
 * that can check itself ({@link Checkable}: the ssd and cxl tiers) verifies every record's
 * checksum; {@code repair} also quarantines what is corrupt, removes orphans and rebuilds the
 * index. Each tier is opened for the purpose, so its own lock refuses a tier that another process
 * holds, naming it. Both are safe to run twice.
 *
 * <p>Exit status: 0 when every tier checked is clean ({@code fsck}) or was repaired ({@code
 * repair}); {@value Main#DAMAGED} when {@code fsck} found damage; 1 when a tier could not be
 * opened or checked.
 */
abstract class CheckCommand implements Callable<Integer> {
  @ParentCommand Main main;

  @Option(names = "--tier", paramLabel = "NAME", description = "Check only this tier (repeatable); default: every tier.")
  List<String> tiers = new ArrayList<>();

  private final boolean repair;

  CheckCommand(boolean repair) {
    this.repair = repair;
  }

  @Override
  public Integer call() {
    MaintenanceTiers all = new MaintenanceTiers(main.configuration(), tiers);
    String verb = repair ? "repair" : "fsck";
    List<CheckReport> reports = new ArrayList<>();
    int checkable = 0;
    for (int i : all.selected()) {
      TierConfig t = all.config().tiers().get(i);
      if (all.inProcess(i)) {
        main.out.printf(Locale.ROOT, "%s: tier %s (provider %s) skipped: it holds nothing outside a running process%n", verb,
            t.name(), t.provider());
        continue;
      }
      boolean[] was = new boolean[1];
      all.visit(i, (index, tier, layer) -> {
        if (layer instanceof Checkable c) {
          was[0] = true;
          CheckReport r = c.check(repair);
          reports.add(r);
          print(r);
        } else {
          main.out.printf(Locale.ROOT, "%s: tier %s (provider %s) skipped: the provider keeps no checksummed records to check%n",
              verb, tier.name(), tier.provider());
        }
      });
      checkable += was[0] ? 1 : 0;
    }
    if (checkable == 0) {
      main.out.printf(Locale.ROOT, "%s: no tier of %s can be checked (fsck and repair check ssd and cxl tiers)%n", verb,
          all.config().source());
      return Main.OK;
    }
    boolean damaged = reports.stream().anyMatch(r -> !r.clean());
    if (repair) {
      boolean left = reports.stream().anyMatch(r -> !r.clean() && !r.repaired());
      main.out.println(damaged ? (left ? "repair: damage remains; see above" : "repair: done; run fsck to confirm") : "repair: nothing to repair");
      return left ? Main.DAMAGED : Main.OK;
    }
    main.out.println(damaged ? "fsck: damage found; run 'stratacache repair' to quarantine it and rebuild the index" : "fsck: clean");
    return damaged ? Main.DAMAGED : Main.OK;
  }

  private void print(CheckReport r) {
    main.out.printf(Locale.ROOT, "tier %s: %d records checked, %d valid, %d corrupt, %d orphans, %d index mismatches%s%n", r.tier(),
        r.checked(), r.valid(), r.corrupt(), r.orphans(), r.indexMismatches(),
        r.clean() ? "" : r.repaired() ? " (repaired)" : " (not repaired)");
    for (String f : r.findings()) {
      main.out.println("  " + f);
    }
  }

  /** {@code stratacache fsck}. */
  @Command(name = "fsck", mixinStandardHelpOptions = true, description = {
      "Verify every record of the ssd and cxl tiers; change nothing.",
      "Reports what is corrupt, orphaned or missing from the index. Exit status 4 when damage is found."})
  static final class Fsck extends CheckCommand {
    Fsck() {
      super(false);
    }
  }

  /** {@code stratacache repair}. */
  @Command(name = "repair", mixinStandardHelpOptions = true, description = {
      "As fsck, then quarantine what is corrupt, remove orphans and rebuild the index.",
      "Safe to run twice; refused while another process holds the tier."})
  static final class Repair extends CheckCommand {
    Repair() {
      super(true);
    }
  }
}
