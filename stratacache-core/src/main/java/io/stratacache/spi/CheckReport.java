package io.stratacache.spi;

import java.util.List;
import java.util.Objects;

/**
 * What {@link Checkable#check} found in one tier.
 *
 * @param tier the tier's name
 * @param checked records whose checksum was verified
 * @param valid records that passed
 * @param corrupt records that failed a check (bad checksum, truncated, unreadable header)
 * @param orphans files or slots that no index entry points at
 * @param indexMismatches index entries that disagree with the record they point at, or point at
 *     nothing
 * @param repaired whether the check also repaired: quarantined the corrupt records, removed the
 *     orphans and rebuilt the index
 * @param findings one human-readable line per problem found (a path or id and what was wrong;
 *     never payload bytes)
 */
public record CheckReport(
    String tier,
    long checked,
    long valid,
    long corrupt,
    long orphans,
    long indexMismatches,
    boolean repaired,
    List<String> findings) {
  public CheckReport {
    Objects.requireNonNull(tier, "tier");
    findings = List.copyOf(Objects.requireNonNull(findings, "findings"));
    if (checked < 0 || valid < 0 || corrupt < 0 || orphans < 0 || indexMismatches < 0) {
      throw new IllegalArgumentException("counts must be >= 0, got checked=" + checked
          + " valid=" + valid + " corrupt=" + corrupt + " orphans=" + orphans
          + " indexMismatches=" + indexMismatches);
    }
  }

  /** Whether nothing was wrong. */
  public boolean clean() {
    return corrupt == 0 && orphans == 0 && indexMismatches == 0;
  }
}
