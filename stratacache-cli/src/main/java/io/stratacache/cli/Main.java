package io.stratacache.cli;

import io.stratacache.config.StrataConfig;
import io.stratacache.core.ConfigException;
import io.stratacache.core.StrataCacheException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * The {@code stratacache} command: subcommands {@code demo}, {@code bench}, {@code inspect},
 * {@code fsck}, {@code repair}, {@code evict} and {@code config check}, each with {@code --help}.
 *
 * <p>Global options (before or after the subcommand): {@code -c/--config FILE} names the
 * configuration (a relative path is the working directory's), else {@code -Dstratacache.config},
 * else {@code STRATACACHE_CONFIG}, else the packaged default; {@code STRATACACHE_<KEY>} variables
 * override single keys either way. {@code --verbose} adds the details (cause chain, stack trace)
 * under an error's one line.
 *
 * <p>Exit status: {@value #OK} success; {@value #FAILED} the command failed (one line says what);
 * {@value #USAGE} a usage error (unknown command or option, bad option value); {@value #CONFIG}
 * the configuration cannot be read or is not valid; {@value #DAMAGED} {@code fsck} found damage,
 * or {@code repair} left some.
 */
@Command(
    name = "stratacache",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "A tiered artifact store for LLM inference: KV caches and model parameters on one storage plane.",
    synopsisSubcommandLabel = "COMMAND",
    subcommands = {CommandLine.HelpCommand.class},
    footerHeading = "%n",
    footer = {
        "Configuration: -c FILE, else -Dstratacache.config, else STRATACACHE_CONFIG, else the packaged default;",
        "STRATACACHE_<KEY> variables override single keys (e.g. STRATACACHE_CPU_CAPACITY_MB=512).",
        "JVM options for the launcher go in JAVA_OPTS.",
        "",
        "Exit status: 0 success, 1 failure, 2 usage error, 3 configuration error,",
        "4 fsck found damage (or repair left some)."})
public final class Main implements java.util.concurrent.Callable<Integer> {
  /** Exit status: success. */
  public static final int OK = 0;
  /** Exit status: the command failed; one line on standard error says what. */
  public static final int FAILED = 1;
  /** Exit status: a usage error (unknown command or option, bad value). */
  public static final int USAGE = 2;
  /** Exit status: the configuration cannot be read or is not valid. */
  public static final int CONFIG = 3;
  /** Exit status: {@code fsck} found damage, or {@code repair} could not repair all of it. */
  public static final int DAMAGED = 4;

  @Option(names = {"-c", "--config"}, paramLabel = "FILE", scope = ScopeType.INHERIT,
      description = "Configuration file (YAML); a relative path is the working directory's.")
  String configFile;

  @Option(names = "--verbose", scope = ScopeType.INHERIT, description = "On an error, print its details (causes, stack trace).")
  boolean verbose;

  final PrintStream out;
  final PrintStream err;
  final Map<String, String> env;

  Main(PrintStream out, PrintStream err, Map<String, String> env) {
    this.out = Objects.requireNonNull(out, "out");
    this.err = Objects.requireNonNull(err, "err");
    this.env = Map.copyOf(Objects.requireNonNull(env, "env"));
  }

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err, System.getenv()));
  }

  /** Runs the command line with the process environment and returns the exit status. */
  static int run(String[] args, PrintStream out, PrintStream err) {
    return run(args, out, err, System.getenv());
  }

  /** Runs the command line with {@code env} in place of the process environment; returns the exit status. */
  static int run(String[] args, PrintStream out, PrintStream err, Map<String, String> env) {
    Main main = new Main(out, err, env);
    CommandLine cli = commandLine(main);
    return cli.execute(args);
  }

  /** The command tree, with output to {@code main}'s streams and the errors mapped to exit codes. */
  static CommandLine commandLine(Main main) {
    CommandLine cli = new CommandLine(main);
    cli.addSubcommand(new DemoCli());
    cli.addSubcommand(new BenchCli());
    cli.addSubcommand(new InspectCommand());
    cli.addSubcommand(new CheckCommand.Fsck());
    cli.addSubcommand(new CheckCommand.Repair());
    cli.addSubcommand(new EvictCommand());
    cli.addSubcommand(new ConfigCommand());
    cli.setCaseInsensitiveEnumValuesAllowed(true);
    cli.setOut(new PrintWriter(main.out, true, StandardCharsets.UTF_8));
    cli.setErr(new PrintWriter(main.err, true, StandardCharsets.UTF_8));
    cli.setExecutionExceptionHandler((e, command, parsed) -> main.failure(command, e));
    cli.setParameterExceptionHandler(main::usageError);
    return cli;
  }

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /** No subcommand: the usage, as a usage error. */
  @Override
  public Integer call() {
    err.println("stratacache: a command is required");
    spec.commandLine().usage(err);
    return USAGE;
  }

  private int usageError(CommandLine.ParameterException e, String[] args) {
    CommandLine command = e.getCommandLine();
    err.println(name(command) + ": " + e.getMessage());
    err.println("Try '" + name(command) + " --help' for more information.");
    return USAGE;
  }

  private int failure(CommandLine command, Exception e) {
    int status = e instanceof ConfigException ? CONFIG : FAILED;
    String what = e instanceof StrataCacheException || e instanceof UserError || e.getMessage() == null
        ? ""
        : e.getClass().getSimpleName() + ": ";
    String message = e.getMessage() == null ? e.toString() : e.getMessage();
    err.println(name(command) + " failed: " + what + firstLine(message));
    if (verbose) {
      e.printStackTrace(err);
    }
    return e instanceof UserError u ? u.status : status;
  }

  private static String firstLine(String message) {
    int nl = message.indexOf('\n');
    return nl < 0 ? message : message.substring(0, nl);
  }

  private static String name(CommandLine command) {
    return command.getCommandSpec().qualifiedName();
  }

  /**
   * The configuration the command runs with: the file of {@code -c} (with the environment's
   * overrides), else what {@code fallback} resolves (which looks at {@code -Dstratacache.config}
   * and {@code STRATACACHE_CONFIG} first).
   */
  StrataConfig configuration(Supplier<StrataConfig> fallback) {
    if (configFile != null) {
      return StrataConfig.load(path(configFile, "-c"), env);
    }
    return fallback.get();
  }

  /** The configuration for a command with no embedded default of its own. */
  StrataConfig configuration() {
    return configuration(() -> StrataConfig.resolve(env));
  }

  static Path path(String text, String option) {
    if (text.isBlank()) {
      throw new UserError(option + " \"" + text + "\" (expected: the path of a YAML configuration file)", USAGE);
    }
    try {
      return Path.of(text).toAbsolutePath();
    } catch (InvalidPathException e) {
      throw new UserError(option + " \"" + text + "\" (expected: a path; " + e.getMessage() + ")", USAGE);
    }
  }

  /** An error whose message says all there is to say, and the exit status it ends the command with. */
  static final class UserError extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final int status;

    UserError(String message, int status) {
      super(message);
      this.status = status;
    }
  }

  /** The version: the CLI jar's implementation version, or the build's. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"stratacache " + (v == null ? "0.1.0-SNAPSHOT" : v)};
    }
  }
}
