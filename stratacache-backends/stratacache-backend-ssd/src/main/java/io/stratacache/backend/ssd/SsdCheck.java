package io.stratacache.backend.ssd;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.CodecException;
import io.stratacache.core.LayerUnavailableException;
import io.stratacache.core.codec.RecordCodec;
import io.stratacache.spi.CheckReport;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@link SsdLayer#check}: reads every record file of the tier whole and checks it (header, size,
 * name, payload CRC32C) against itself and against the index, then compares the persisted index
 * with the index in memory.
 *
 * <p>What counts as what: a record that fails a check is <em>corrupt</em>; a temporary file, or a
 * valid record no index entry points at, is an <em>orphan</em>; an entry whose file is missing or
 * holds another version, a journal that disagrees with the index, and what the open itself had to
 * correct (a journal missing, damaged or naming files that were gone) are <em>index
 * mismatches</em>. Repair quarantines corrupt records (into {@code corrupt/}), deletes temporary
 * files, indexes valid orphans (a valid record is never deleted), drops entries without a valid
 * file, and rewrites the journal from the index; a second repair then finds nothing.
 */
final class SsdCheck {
  private final SsdIndex index;
  private final String tier;
  private final SsdPaths paths;
  private final boolean repair;
  private final List<String> findings = new ArrayList<>();
  private long checked;
  private long valid;
  private long corrupt;
  private long orphans;
  private long mismatches;

  private SsdCheck(SsdIndex index, String tier, SsdPaths paths, boolean repair) {
    this.index = index;
    this.tier = tier;
    this.paths = paths;
    this.repair = repair;
  }

  /**
   * @param tier the tier's name, as the report and error messages name it
   * @param foundAtOpen what the open corrected, each line prefixed {@code corrupt: }, {@code
   *     orphan: } or {@code index: }
   */
  static CheckReport run(SsdIndex index, String tier, SsdPaths paths, List<String> foundAtOpen, boolean repair) {
    SsdCheck c = new SsdCheck(index, tier, paths, repair);
    for (String f : foundAtOpen) {
      if (f.startsWith("corrupt: ")) {
        c.corrupt++;
      } else if (f.startsWith("orphan: ")) {
        c.orphans++;
      } else {
        c.mismatches++;
      }
      c.findings.add(f.substring(f.indexOf(": ") + 2));
    }
    c.records();
    c.journal();
    return new CheckReport(tier, c.checked, c.valid, c.corrupt, c.orphans, c.mismatches, repair, c.findings);
  }

  private void records() {
    Map<Long, SsdEntry> byKey = new HashMap<>();
    for (SsdEntry e : index.entries()) {
      byKey.put(e.nameKey, e);
    }
    for (int leaf = 0; leaf < 256; leaf++) {
      Path dir = paths.leafDir(leaf);
      String[] names = dir.toFile().list();
      if (names == null) {
        continue;
      }
      for (String name : names) {
        Path file = dir.resolve(name);
        if (SsdPaths.isTempName(name)) {
          orphans++;
          findings.add(file + ": temporary file of an unfinished store" + (repair ? "; deleted" : ""));
          if (repair) {
            SsdRecordFiles.deleteQuietly(file);
          }
        } else if (SsdPaths.isRecordName(name)) {
          record(file, byKey.remove(SsdPaths.nameKey(name)));
        }
      }
    }
    for (SsdEntry e : byKey.values()) {
      mismatches++;
      findings.add(e.id + ": indexed, but its file " + paths.recordFile(e.id) + " is missing" + (repair ? "; dropped" : ""));
      if (repair) {
        index.dropMissing(e);
      }
    }
  }

  /** Checks one record file; {@code e} is the entry whose name it has, or null. */
  private void record(Path file, SsdEntry e) {
    checked++;
    SsdRecovery.Found found;
    try (Arena arena = Arena.ofConfined(); FileChannel ch = SsdRecordFiles.openRecord(file)) {
      MemorySegment record = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
      RecordCodec.Header h = RecordCodec.readHeader(record);
      int alignment = SsdRecovery.alignmentOf(h, record.byteSize());
      if (alignment < 0) {
        throw new CodecException("record " + h.id() + ": " + record.byteSize() + " bytes (expected: payload offset + payload"
            + " length " + h.payloadLength() + ")");
      }
      if (!paths.recordFile(h.id()).equals(file)) {
        throw new CodecException("record " + h.id() + " found in " + file + " (expected: in " + paths.recordFile(h.id()) + ")");
      }
      long offset = record.byteSize() - h.payloadLength();
      RecordCodec.verifyPayload(h, record.asSlice(offset, h.payloadLength()));
      found = new SsdRecovery.Found(h.id(), SsdPaths.nameKey(file.getFileName().toString()), record.byteSize(),
          (int) offset, h.payloadCrc(), Files.getLastModifiedTime(file).toMillis());
    } catch (NoSuchFileException x) {
      checked--;
      return;
    } catch (CodecException x) {
      corrupt++;
      findings.add(file + ": " + x.getMessage() + (repair ? "; quarantined" : ""));
      if (repair) {
        index.quarantineFile(e, file, x.getMessage());
      }
      return;
    } catch (IOException x) {
      throw new LayerUnavailableException("ssd tier '" + tier + "': cannot check " + file + ": " + x, x);
    }
    valid++;
    if (e == null || !e.id.equals(found.id())) {
      orphans++;
      findings.add(file + ": valid record of " + found.id() + " that the index does not hold" + (repair ? "; indexed" : ""));
      if (repair) {
        index.adopt(found);
      }
    } else if (e.size != found.size() || e.payloadCrc != found.payloadCrc() || e.payloadOffset != found.payloadOffset()) {
      mismatches++;
      findings.add(found.id() + ": the index has " + e.size + " bytes with checksum " + String.format("0x%08x", e.payloadCrc)
          + ", its file " + found.size() + " bytes with " + String.format("0x%08x", found.payloadCrc())
          + (repair ? "; re-indexed from the file" : ""));
      if (repair) {
        index.adopt(found);
      }
    }
  }

  /** Compares the persisted journal with the index in memory; repair rewrites it. */
  private void journal() {
    Map<ArtifactId, SsdIndexJournal.Live> persisted = new HashMap<>();
    String untrusted = null;
    try {
      persisted.putAll(SsdIndexJournal.liveEntries(paths.journalFile()));
    } catch (SsdIndexJournal.Untrusted x) {
      untrusted = x.getMessage();
    } catch (IOException x) {
      untrusted = "index " + paths.journalFile() + ": " + x;
    }
    if (untrusted != null) {
      mismatches++;
      findings.add(untrusted + (repair ? "; rewritten" : ""));
    } else {
      long differ = 0;
      for (SsdEntry e : index.entries()) {
        SsdIndexJournal.Live p = persisted.remove(e.id);
        if (p == null || p.recordSize() != e.size || p.payloadCrc() != e.payloadCrc) {
          differ++;
        }
      }
      differ += persisted.size();
      if (differ > 0) {
        mismatches += differ;
        findings.add("index " + paths.journalFile() + ": " + differ + " entries disagree with the records"
            + (repair ? "; rewritten" : ""));
      }
    }
    if (repair) {
      index.rewriteJournal();
    }
  }
}
