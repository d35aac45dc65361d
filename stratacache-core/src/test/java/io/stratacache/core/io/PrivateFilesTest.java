package io.stratacache.core.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PrivateFilesTest {
  @TempDir Path dir;

  /** Runs {@code body} with the process's umask set to {@code mask}, then restores it. */
  // A downcall to umask(2): Java has no other way to set the umask of its own process.
  @SuppressWarnings("restricted")
  static void withUmask(int mask, IoBody body) throws Throwable {
    MethodHandle umask = Linker.nativeLinker().downcallHandle(
        Linker.nativeLinker().defaultLookup().find("umask").orElseThrow(),
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    int old = (int) umask.invokeExact(mask);
    try {
      body.run();
    } finally {
      int ignored = (int) umask.invokeExact(old);
    }
  }

  interface IoBody {
    void run() throws Exception;
  }

  static int mode(Path p) throws IOException {
    return (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777;
  }

  static int uid(Path p) throws IOException {
    return (Integer) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS);
  }

  @Test
  void createdDirectoriesAndFilesArePrivateUnderAPermissiveUmask() throws Throwable {
    Path nested = dir.resolve("a").resolve("b").resolve("c");
    Path file = nested.resolve("record.scr");
    withUmask(0, () -> {
      PrivateFiles.ownerOnly().createDirectories(nested);
      try (FileChannel ch = PrivateFiles.ownerOnly().createFile(file)) {
        ch.write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
      }
      PrivateFiles.ownerOnly().openOrCreate(dir.resolve(".lock")).close();
    });
    assertEquals(0700, mode(dir.resolve("a")), "created ancestor");
    assertEquals(0700, mode(dir.resolve("a").resolve("b")), "created ancestor");
    assertEquals(0700, mode(nested), "created directory");
    assertEquals(0600, mode(file), "created file");
    assertEquals(0600, mode(dir.resolve(".lock")), "created lock file");
  }

  @Test
  void aSharingModeIsSetExactlyWhateverTheUmask() throws Throwable {
    PrivateFiles shared = PrivateFiles.of("0660", null);
    assertEquals(0770, shared.directoryMode());
    withUmask(077, () -> {
      shared.createDirectories(dir.resolve("shared"));
      shared.createFile(dir.resolve("shared").resolve("region")).close();
    });
    assertEquals(0770, mode(dir.resolve("shared")));
    assertEquals(0660, mode(dir.resolve("shared").resolve("region")));
  }

  @Test
  void anExistingWorldWritableDirectoryIsRefusedNamingPathOwnerAndMode() throws Exception {
    Path d = dir.resolve("open");
    Files.createDirectory(d);
    Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxrwxrwx"));
    UnsafePathException e = assertThrows(UnsafePathException.class, () -> PrivateFiles.ownerOnly().createDirectories(d));
    String owner = Files.getOwner(d).getName();
    assertTrue(e.getMessage().contains(d.toString()), e.getMessage());
    assertTrue(e.getMessage().contains("0777 (rwxrwxrwx)"), e.getMessage());
    assertTrue(e.getMessage().contains("owner " + owner + " (uid " + uid(d) + ")"), e.getMessage());
    assertTrue(e.getMessage().contains("writable by others"), e.getMessage());
    assertEquals(d, e.path());
  }

  @Test
  void aGroupWritableFileIsRefusedUnlessTheModeGrantsIt() throws Exception {
    Path f = dir.resolve("region");
    Files.createFile(f);
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-rw----"));
    UnsafePathException e = assertThrows(UnsafePathException.class, () -> PrivateFiles.ownerOnly().checkExisting(f, false));
    assertTrue(e.getMessage().contains("writable by its group"), e.getMessage());
    PrivateFiles.of("0660", null).checkExisting(f, false);
  }

  @Test
  void aPathOwnedByAnotherUserIsRefusedUnlessTheModeShares() throws Exception {
    Path f = dir.resolve("region");
    PrivateFiles.ownerOnly().createFile(f).close();
    int other = uid(f) + 1;
    UnsafePathException e =
        assertThrows(UnsafePathException.class, () -> PrivateFiles.ownerOnly().forUid(other).checkExisting(f, false));
    assertTrue(e.getMessage().contains("owned by another user"), e.getMessage());
    assertTrue(e.getMessage().contains("not by uid " + other), e.getMessage());
    assertTrue(e.getMessage().contains("0600 (rw-------)"), e.getMessage());
    PrivateFiles.of("0660", null).forUid(other).checkExisting(f, false);
  }

  @Test
  void aPlantedSymbolicLinkIsNeverWrittenThrough() throws Exception {
    Path victim = dir.resolve("victim");
    Files.writeString(victim, "keep");
    Path temp = dir.resolve("0123.1.tmp");
    Files.createSymbolicLink(temp, victim);
    assertThrows(FileAlreadyExistsException.class, () -> PrivateFiles.ownerOnly().createFile(temp));
    Path dangling = dir.resolve("0123.2.tmp");
    Files.createSymbolicLink(dangling, dir.resolve("would-be-created"));
    assertThrows(FileAlreadyExistsException.class, () -> PrivateFiles.ownerOnly().createFile(dangling));
    assertFalse(Files.exists(dir.resolve("would-be-created")));
    UnsafePathException e = assertThrows(UnsafePathException.class, () -> PrivateFiles.ownerOnly().openOrCreate(temp));
    assertTrue(e.getMessage().contains("symbolic link"), e.getMessage());
    assertEquals("keep", Files.readString(victim, StandardCharsets.UTF_8));
  }

  @Test
  void aDirectoryReadableByOthersIsReportedOnceWithItsMode() throws Exception {
    Path d = dir.resolve("readable");
    Files.createDirectory(d);
    Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxr-xr-x"));
    Logger logger = Logger.getLogger(PrivateFiles.class.getName());
    List<String> seen = new ArrayList<>();
    Handler handler = new Handler() {
      @Override
      public void publish(LogRecord r) {
        seen.add(r.getLevel() + " " + r.getMessage());
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    boolean parents = logger.getUseParentHandlers();
    logger.addHandler(handler);
    logger.setUseParentHandlers(false);
    try {
      PrivateFiles.ownerOnly().createDirectories(d);
      PrivateFiles.ownerOnly().createDirectories(d);
    } finally {
      logger.removeHandler(handler);
      logger.setUseParentHandlers(parents);
    }
    assertEquals(1, seen.size(), seen.toString());
    assertTrue(seen.get(0).startsWith("WARNING " + d), seen.get(0));
    assertTrue(seen.get(0).contains("0755 (rwxr-xr-x)") && seen.get(0).contains("readable by others"), seen.get(0));
  }

  @Test
  void modesAndGroupsAreCheckedWhenConfigured() {
    assertSame(PrivateFiles.ownerOnly(), PrivateFiles.of(null, null));
    assertSame(PrivateFiles.ownerOnly(), PrivateFiles.of("0600", null));
    assertEquals(0640, PrivateFiles.of("640", null).fileMode());
    assertEquals(0750, PrivateFiles.of("0640", null).directoryMode());
    IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> PrivateFiles.of("0999", null));
    assertTrue(bad.getMessage().startsWith("mode: \"0999\" (expected: an octal file mode"), bad.getMessage());
    IllegalArgumentException exec = assertThrows(IllegalArgumentException.class, () -> PrivateFiles.of("0755", null));
    assertTrue(exec.getMessage().contains("no execute bits") && exec.getMessage().contains("0755 (rwxr-xr-x) is not"), exec.getMessage());
    IllegalArgumentException unreadable = assertThrows(IllegalArgumentException.class, () -> PrivateFiles.of("0060", null));
    assertTrue(unreadable.getMessage().contains("read and write for the owner"), unreadable.getMessage());
    IllegalArgumentException group =
        assertThrows(IllegalArgumentException.class, () -> PrivateFiles.of("0660", "no-such-group-xyz"));
    assertEquals("group: \"no-such-group-xyz\" (expected: a group that exists on this machine)", group.getMessage());
    assertThrows(IllegalArgumentException.class, () -> PrivateFiles.ownerOnly().forUid(-2));
  }
}
