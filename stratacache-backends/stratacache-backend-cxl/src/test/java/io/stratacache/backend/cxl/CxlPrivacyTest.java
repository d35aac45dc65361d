package io.stratacache.backend.cxl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.ArtifactType;
import io.stratacache.core.LayerUnavailableException;
import io.stratacache.spi.LayerSpec;
import io.stratacache.testkit.Umask;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A region file is its owner's only, and one planted by someone else is never used. */
class CxlPrivacyTest {
  @TempDir Path dir;

  private static LayerSpec spec(Path region, Object... kv) {
    Map<String, Object> m = new HashMap<>();
    m.put("path", region.toString());
    m.put("capacity", "256KiB");
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return LayerSpec.of("shared", "cxl", m);
  }

  private static int mode(Path p) throws IOException {
    return (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777;
  }

  @Test
  void aRegionAndItsDirectoryArePrivateUnderAPermissiveUmask() throws Exception {
    Path region = dir.resolve("shm").resolve("region");
    Umask.with(0, () -> {
      try (CxlLayer layer = CxlLayer.open(spec(region))) {
        layer.put(ArtifactId.of("kv", "m", "x"), ArtifactMeta.of(ArtifactType.KV_BLOCKS), MemorySegment.ofArray(new byte[64]));
      }
    });
    assertEquals(0600, mode(region), "region file");
    assertEquals(0700, mode(region.getParent()), "directory created for it");
  }

  @Test
  void aRegionSharedOnPurposeGetsItsModeAndMayBeAnotherUsers() throws Exception {
    Path region = dir.resolve("region");
    Umask.with(022, () -> CxlLayer.open(spec(region, "mode", "0660")).close());
    assertEquals(0660, mode(region));
    CxlConfig config = CxlConfig.from(spec(region, "mode", "0660"));
    int me = (Integer) Files.getAttribute(region, "unix:uid");
    CxlConfig asOther = withAccess(config, config.access().forUid(me + 1));
    CxlLayer.open("shared", asOther).close();
    CxlConfig privateOther = withAccess(CxlConfig.from(spec(region)), CxlConfig.from(spec(region)).access().forUid(me + 1));
    LayerUnavailableException e = assertThrows(LayerUnavailableException.class, () -> CxlLayer.open("shared", privateOther));
    assertTrue(e.getMessage().contains("refusing " + region), e.getMessage());
    assertTrue(e.getMessage().contains("owned by another user"), e.getMessage());
  }

  @Test
  void aWorldWritableRegionIsRefusedNamingPathOwnerAndMode() throws Exception {
    Path region = dir.resolve("region");
    CxlLayer.open(spec(region)).close();
    Files.setPosixFilePermissions(region, PosixFilePermissions.fromString("rw-rw-rw-"));
    LayerUnavailableException e = assertThrows(LayerUnavailableException.class, () -> CxlLayer.open(spec(region)));
    assertTrue(e.getMessage().startsWith("cxl tier 'shared': refusing " + region + ": owner "), e.getMessage());
    assertTrue(e.getMessage().contains("mode 0666 (rw-rw-rw-): writable by others"), e.getMessage());
  }

  @Test
  void aRegionPathThatIsASymbolicLinkIsRefusedAndItsTargetUntouched() throws Exception {
    Path victim = dir.resolve("victim");
    Files.write(victim, new byte[4096]);
    Path region = dir.resolve("region");
    Files.createSymbolicLink(region, victim);
    LayerUnavailableException e = assertThrows(LayerUnavailableException.class, () -> CxlLayer.open(spec(region)));
    assertTrue(e.getMessage().contains("symbolic link"), e.getMessage());
    assertEquals(-1, java.util.Arrays.mismatch(new byte[4096], Files.readAllBytes(victim)), "the target is untouched");
    Path dangling = dir.resolve("dangling");
    Files.createSymbolicLink(dangling, dir.resolve("would-be-created"));
    assertThrows(LayerUnavailableException.class, () -> CxlLayer.open(spec(dangling)));
    assertTrue(Files.notExists(dir.resolve("would-be-created")), "nothing created through a dangling link");
  }

  private static CxlConfig withAccess(CxlConfig c, io.stratacache.core.io.PrivateFiles access) {
    return new CxlConfig(c.path(), c.capacityBytes(), c.sizeBytes(), c.resetMetadata(), c.evictionPolicy(), c.alignment(),
        c.blockBytes(), c.slots(), c.expectedArtifactBytes(), c.maxProcesses(), c.lockLease(), c.verifyEveryLoad(),
        c.exclusive(), c.expireAfter(), c.cleanupInterval(), access);
  }
}
