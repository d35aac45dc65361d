package io.stratacache.core.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Creates and checks the files and directories a durable tier keeps, so that what it writes is
 * readable by its owner only unless its configuration shares it on purpose.
 *
 * <p><b>Creating.</b> Files are created with mode {@link #fileMode()} ({@code 0600} by default) and
 * directories with {@link #directoryMode()} ({@code 0700}), whatever the process's umask: the
 * mode is given at creation and set again when the umask took bits away. Files are created
 * exclusively ({@code O_CREAT|O_EXCL}) and never through a symbolic link, so a link planted at a
 * temporary or record path makes the creation fail instead of writing where it points. With a
 * {@link #group() group} configured, what is created is given to that group.
 *
 * <p><b>Checking.</b> {@link #checkExisting} refuses, with an {@link UnsafePathException} naming
 * the path, its owner and its mode (as ssh does with a key file), an existing directory or file
 * that is writable by group or others beyond what the configured mode grants, that is owned by
 * another user while the configured mode shares nothing, or whose group is not the configured
 * group. One that is readable by group or others beyond the configured mode is reported with one
 * warning per path and process. File systems without POSIX attributes are not checked.
 *
 * <p>Thread-safe and immutable.
 */
public final class PrivateFiles {
  private static final System.Logger LOG = System.getLogger(PrivateFiles.class.getName());
  private static final int DEFAULT_FILE_MODE = 0600;
  private static final int UNKNOWN_UID = -1;
  private static final Set<Path> WARNED = ConcurrentHashMap.newKeySet();
  private static final PrivateFiles OWNER_ONLY = new PrivateFiles(DEFAULT_FILE_MODE, null, processUid());

  private final int fileMode;
  private final String group;
  private final int uid;

  private PrivateFiles(int fileMode, String group, int uid) {
    this.fileMode = fileMode;
    this.group = group;
    this.uid = uid;
  }

  /** Files {@code 0600}, directories {@code 0700}, no group: the default of every durable tier. */
  public static PrivateFiles ownerOnly() {
    return OWNER_ONLY;
  }

  /**
   * The access a tier's {@code mode} and {@code group} settings ask for.
   *
   * @param mode the file mode in octal, such as {@code "0600"} (the default when null) or {@code
   *     "0660"}: read and write for the owner, nothing executable, no special bits; directories get
   *     the same bits plus search wherever read is granted
   * @param group a group name that must exist on this machine, or null for the creating user's
   *     default group
   * @throws IllegalArgumentException naming the value and what was expected
   */
  public static PrivateFiles of(String mode, String group) {
    String modeProblem = mode == null ? null : modeProblem(mode);
    if (modeProblem != null) {
      throw new IllegalArgumentException("mode: \"" + mode + "\" (expected: " + modeProblem + ")");
    }
    String groupProblem = group == null ? null : groupProblem(group);
    if (groupProblem != null) {
      throw new IllegalArgumentException("group: \"" + group + "\" (expected: " + groupProblem + ")");
    }
    int m = mode == null ? DEFAULT_FILE_MODE : Integer.parseInt(octalDigits(mode), 8);
    if (m == DEFAULT_FILE_MODE && group == null) {
      return OWNER_ONLY;
    }
    return new PrivateFiles(m, group, OWNER_ONLY.uid);
  }

  /**
   * What is wrong with a {@code mode} setting, as the "expected" part of an error, or null if
   * nothing is: it must be an octal file mode of three or four digits that gives the owner read
   * and write and nobody execute.
   */
  public static String modeProblem(String mode) {
    Objects.requireNonNull(mode, "mode");
    String digits = octalDigits(mode);
    int m;
    try {
      m = digits.length() >= 3 && digits.length() <= 4 ? Integer.parseInt(digits, 8) : -1;
    } catch (NumberFormatException e) {
      m = -1;
    }
    if (m < 0 || m > 0777) {
      return "an octal file mode in quotes, such as \"0600\" or \"0660\"";
    }
    if ((m & 0600) != 0600 || (m & 0111) != 0) {
      return "read and write for the owner and no execute bits, such as \"0600\", \"0640\" or \"0660\"; "
          + describeMode(m) + " is not";
    }
    return null;
  }

  /**
   * What is wrong with a {@code group} setting, as the "expected" part of an error, or null if
   * nothing is: it must name a group that exists on this machine.
   */
  public static String groupProblem(String group) {
    Objects.requireNonNull(group, "group");
    if (group.isBlank() || !group.strip().equals(group)) {
      return "the name of a group, without spaces";
    }
    try {
      FileSystems.getDefault().getUserPrincipalLookupService().lookupPrincipalByGroupName(group);
      return null;
    } catch (UserPrincipalNotFoundException e) {
      return "a group that exists on this machine";
    } catch (IOException | UnsupportedOperationException e) {
      return "a group; this file system has none";
    }
  }

  private static String octalDigits(String mode) {
    String s = mode.strip();
    return s.startsWith("0o") ? s.substring(2) : s;
  }

  /**
   * The same access acting for user {@code uid}: a path owned by any other uid counts as owned by
   * another user. For tools that check on behalf of a user, and for tests.
   */
  public PrivateFiles forUid(int uid) {
    if (uid < 0) {
      throw new IllegalArgumentException("uid: " + uid + " (expected: 0 or more)");
    }
    return new PrivateFiles(fileMode, group, uid);
  }

  /** Mode of created files, such as {@code 0600}. */
  public int fileMode() {
    return fileMode;
  }

  /** Mode of created directories: the file mode plus search wherever it grants read. */
  public int directoryMode() {
    return fileMode | (fileMode & 0444) >>> 2;
  }

  /** The group created paths are given, if one is configured. */
  public Optional<String> group() {
    return Optional.ofNullable(group);
  }

  /** Whether the configured mode grants anything to group or others. */
  public boolean shares() {
    return (fileMode & 0077) != 0;
  }

  /**
   * Creates {@code file} exclusively with {@link #fileMode()} and opens it for writing plus {@code
   * more} (for example {@link StandardOpenOption#READ}). Never follows a symbolic link.
   *
   * @throws FileAlreadyExistsException if anything, a symbolic link included, is already there
   */
  public FileChannel createFile(Path file, OpenOption... more) throws IOException {
    Objects.requireNonNull(file, "file");
    Set<OpenOption> options = new HashSet<>(Set.of(
        StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS));
    for (OpenOption o : more) {
      if (o == StandardOpenOption.CREATE || o == StandardOpenOption.TRUNCATE_EXISTING) {
        throw new IllegalArgumentException("more: " + o + " (expected: options compatible with an exclusive creation)");
      }
      options.add(Objects.requireNonNull(o, "more"));
    }
    FileChannel ch = FileChannel.open(file, options, permissions(fileMode));
    boolean success = false;
    try {
      settle(file, fileMode);
      success = true;
      return ch;
    } finally {
      if (!success) {
        ch.close();
        Files.deleteIfExists(file);
      }
    }
  }

  /**
   * Opens {@code file} for writing, creating it exclusively with {@link #fileMode()} when it is
   * absent, else checking it as {@link #checkExisting} does. Never follows a symbolic link. For lock
   * files and other files a tier keeps across runs.
   */
  public FileChannel openOrCreate(Path file) throws IOException {
    Objects.requireNonNull(file, "file");
    for (int attempt = 0; ; attempt++) {
      try {
        return createFile(file);
      } catch (FileAlreadyExistsException e) {
        checkExisting(file, false);
      }
      try {
        return FileChannel.open(file, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
      } catch (java.nio.file.NoSuchFileException e) {
        if (attempt > 2) {
          throw e;
        }
      }
    }
  }

  /**
   * Creates directory {@code dir} exclusively with {@link #directoryMode()}.
   *
   * @throws FileAlreadyExistsException if anything is already there
   */
  public void createDirectory(Path dir) throws IOException {
    Objects.requireNonNull(dir, "dir");
    Files.createDirectory(dir, permissions(directoryMode()));
    settle(dir, directoryMode());
  }

  /**
   * Creates {@code dir} and its missing ancestors, each with {@link #directoryMode()} (a directory
   * created meanwhile by another process is taken as it is), then checks {@code dir} as {@link
   * #checkExisting} does, following a symbolic link at {@code dir} itself to its target.
   */
  public void createDirectories(Path dir) throws IOException {
    Objects.requireNonNull(dir, "dir");
    Path abs = dir.toAbsolutePath();
    Deque<Path> missing = new ArrayDeque<>();
    for (Path p = abs; p != null && !Files.exists(p); p = p.getParent()) {
      missing.push(p);
    }
    while (!missing.isEmpty()) {
      Path p = missing.pop();
      try {
        createDirectory(p);
      } catch (FileAlreadyExistsException e) {
        if (!Files.isDirectory(p)) {
          throw e;
        }
      }
    }
    checkExisting(abs, true);
  }

  /**
   * Checks an existing directory or file before a tier uses it.
   *
   * @param path the directory or file
   * @param followLinks whether a symbolic link at {@code path} is followed to its target (a tier's
   *     own directory may be one) or refused (a region file in a directory others can write to)
   * @throws UnsafePathException naming the path, its owner and its mode: a symbolic link that is
   *     not followed; a path writable by group or others beyond the configured mode; one owned by
   *     another user while the configured mode shares nothing; one whose group is not the configured
   *     group
   */
  public void checkExisting(Path path, boolean followLinks) throws IOException {
    Objects.requireNonNull(path, "path");
    LinkOption[] links = followLinks ? new LinkOption[0] : new LinkOption[] {LinkOption.NOFOLLOW_LINKS};
    Map<String, Object> unix;
    try {
      unix = Files.readAttributes(path, "unix:mode,uid,gid", links);
    } catch (UnsupportedOperationException | IllegalArgumentException e) {
      return;
    }
    int rawMode = (Integer) unix.get("mode");
    if (!followLinks && (rawMode & 0170000) == 0120000) {
      throw new UnsafePathException(path, "refusing " + path + ": it is a symbolic link (to " + Files.readSymbolicLink(path)
          + "), which is never followed (expected: a file or device of its own; give its real path)");
    }
    int mode = rawMode & 07777;
    int owner = (Integer) unix.get("uid");
    String describe = "owner " + ownerName(path, links) + " (uid " + owner + "), mode " + describeMode(mode);
    boolean directory = (rawMode & 0170000) == 0040000;
    int granted = directory ? directoryMode() : fileMode;
    if (uid != UNKNOWN_UID && owner != uid && !shares()) {
      throw new UnsafePathException(path, "refusing " + path + ": " + describe + ": owned by another user, not by uid " + uid
          + " that runs this process (expected: a path of one's own; to share a region or directory with other users on"
          + " purpose, set the tier's mode, such as \"0660\", and its group)");
    }
    int badWrite = mode & 0022 & ~granted;
    if (badWrite != 0) {
      throw new UnsafePathException(path, "refusing " + path + ": " + describe + ": writable by "
          + ((badWrite & 0002) != 0 ? "others" : "its group") + " (expected: writable by its owner only; fix: chmod go-w "
          + path + ", or set the tier's mode, such as \"0660\", to share it on purpose)");
    }
    if (group != null) {
      String actual = Files.readAttributes(path, PosixFileAttributes.class, links).group().getName();
      if (!group.equals(actual)) {
        throw new UnsafePathException(path, "refusing " + path + ": " + describe + ", group " + actual
            + " (expected: group " + group + " as the tier's group setting says; fix: chgrp " + group + " " + path + ")");
      }
    }
    int extraRead = mode & 0044 & ~granted;
    if (extraRead != 0 && WARNED.add(path.toAbsolutePath())) {
      LOG.log(System.Logger.Level.WARNING, path + ": " + describe + ": readable by "
          + ((extraRead & 0004) != 0 ? "others" : "its group") + ", so other users can read what the tier keeps there"
          + " (chmod go-rwx " + path + " to make it private, or set the tier's mode to say it is shared on purpose)");
    }
  }

  /** A mode as ssh and ls show it: {@code 0644 (rw-r--r--)}. */
  public static String describeMode(int mode) {
    return String.format(Locale.ROOT, "%04o", mode & 07777) + " (" + PosixFilePermissions.toString(toPermissions(mode)) + ")";
  }

  /** Sets the exact mode when the umask took bits away, then the group if one is configured. */
  private void settle(Path path, int mode) throws IOException {
    PosixFileAttributeView view = Files.getFileAttributeView(path, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
    if (view == null) {
      return;
    }
    Set<PosixFilePermission> wanted = toPermissions(mode);
    if (!view.readAttributes().permissions().equals(wanted)) {
      view.setPermissions(wanted);
    }
    if (group != null) {
      GroupPrincipal g = path.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByGroupName(group);
      view.setGroup(g);
    }
  }

  private static FileAttribute<Set<PosixFilePermission>> permissions(int mode) {
    return PosixFilePermissions.asFileAttribute(toPermissions(mode));
  }

  private static Set<PosixFilePermission> toPermissions(int mode) {
    Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
    PosixFilePermission[] order = {
      PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
      PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
      PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ};
    for (int bit = 0; bit < order.length; bit++) {
      if ((mode & 1 << bit) != 0) {
        set.add(order[bit]);
      }
    }
    return set;
  }

  private static String ownerName(Path path, LinkOption[] links) {
    try {
      return Files.getOwner(path, links).getName();
    } catch (IOException | UnsupportedOperationException e) {
      return "?";
    }
  }

  /** The uid of this process: the owner of {@code /proc/self}, or of a file it creates. */
  private static int processUid() {
    try {
      return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      try {
        Path probe = Files.createTempFile("stratacache-uid", ".probe");
        try {
          return (Integer) Files.getAttribute(probe, "unix:uid");
        } finally {
          Files.deleteIfExists(probe);
        }
      } catch (IOException | UnsupportedOperationException | IllegalArgumentException e2) {
        return UNKNOWN_UID;
      }
    }
  }

  @Override
  public String toString() {
    return "PrivateFiles[mode " + describeMode(fileMode) + (group == null ? "" : ", group " + group) + "]";
  }
}
