package io.stratacache.arch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The dependency rules of DESIGN.md, checked on the production classes of every module. */
class ArchitectureTest {
  private static final String CORE = "io.stratacache.core..";
  private static final String SPI = "io.stratacache.spi..";
  private static final String CONFIG = "io.stratacache.config..";
  private static final String WRITEBACK = "io.stratacache.writeback..";
  private static final String TIERING = "io.stratacache.tiering..";
  private static final String ENGINE = "io.stratacache.engine..";
  private static final String BACKENDS = "io.stratacache.backend..";
  private static final String ADAPTERS_KV = "io.stratacache.kv..";
  private static final String ADAPTERS_PARAMS = "io.stratacache.params..";
  private static final String ADAPTERS_DJL = "io.stratacache.djl..";
  private static final String CLI = "io.stratacache.cli..";
  private static final String BENCH = "io.stratacache.bench..";
  private static final String METRICS = "io.stratacache.metrics..";

  private static JavaClasses classes;

  @BeforeAll
  static void importClasses() {
    classes = new ClassFileImporter()
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_JARS)
        .importPackages("io.stratacache");
  }

  private static void check(ArchRule rule) {
    rule.allowEmptyShould(true).check(classes);
  }

  @Test
  void core_dependsOnNoOtherModule() {
    check(noClasses().that().resideInAnyPackage(CORE, SPI, CONFIG)
        .should().dependOnClassesThat().resideInAnyPackage(
            WRITEBACK, TIERING, ENGINE, BACKENDS, ADAPTERS_KV, ADAPTERS_PARAMS, ADAPTERS_DJL, CLI, BENCH));
  }

  @Test
  void backends_dependOnCoreOnly() {
    check(noClasses().that().resideInAPackage(BACKENDS)
        .should().dependOnClassesThat().resideInAnyPackage(
            WRITEBACK, TIERING, ENGINE, ADAPTERS_KV, ADAPTERS_PARAMS, ADAPTERS_DJL, CLI, BENCH));
  }

  @Test
  void backends_neverDependOnEachOther() {
    for (String backend : new String[] {"cpu", "ssd", "cxl", "cuda", "redis"}) {
      String own = "io.stratacache.backend." + backend + "..";
      check(noClasses().that().resideInAPackage(own)
          .should().dependOnClassesThat(
              com.tngtech.archunit.base.DescribedPredicate.describe(
                  "a class of another backend",
                  c -> c.getPackageName().startsWith("io.stratacache.backend.")
                      && !c.getPackageName().startsWith("io.stratacache.backend." + backend))));
    }
  }

  @Test
  void writeback_dependsOnCoreOnly() {
    check(noClasses().that().resideInAPackage(WRITEBACK)
        .should().dependOnClassesThat().resideInAnyPackage(
            TIERING, ENGINE, BACKENDS, ADAPTERS_KV, ADAPTERS_PARAMS, ADAPTERS_DJL, CLI, BENCH));
  }

  @Test
  void tiering_neverDependsOnABackendOrAnAdapter() {
    check(noClasses().that().resideInAnyPackage(TIERING, ENGINE)
        .should().dependOnClassesThat().resideInAnyPackage(
            BACKENDS, ADAPTERS_KV, ADAPTERS_PARAMS, ADAPTERS_DJL, CLI, BENCH));
  }

  @Test
  void tierChain_isInternalToTheEngine() {
    check(noClasses().that().resideOutsideOfPackages(TIERING, ENGINE)
        .should().dependOnClassesThat().resideInAPackage(TIERING));
    check(noClasses().that().resideInAPackage(TIERING)
        .should().dependOnClassesThat().resideInAPackage(ENGINE));
  }

  @Test
  void adapters_useOnlyCoreAndTheEngineApi() {
    check(noClasses().that().resideInAnyPackage(ADAPTERS_KV, ADAPTERS_PARAMS, ADAPTERS_DJL)
        .should().dependOnClassesThat().resideInAnyPackage(BACKENDS, TIERING, WRITEBACK, CLI, BENCH));
  }

  @Test
  void packages_areFreeOfCycles() {
    check(slices().matching("io.stratacache.(*)..").should().beFreeOfCycles());
  }

  @Test
  void spi_dependsOnNeitherConfigNorEngine() {
    check(noClasses().that().resideInAPackage(SPI)
        .should().dependOnClassesThat().resideInAnyPackage(CONFIG, WRITEBACK, TIERING, ENGINE));
  }

  @Test
  void kvAndParams_doNotDependOnDjl() {
    check(noClasses().that().resideInAnyPackage(ADAPTERS_KV, ADAPTERS_PARAMS)
        .should().dependOnClassesThat().resideInAPackage(ADAPTERS_DJL));
  }

  @Test
  void cli_doesNotDependOnTheBenchmarks() {
    check(noClasses().that().resideInAPackage(CLI)
        .should().dependOnClassesThat().resideInAPackage(BENCH));
  }

  @Test
  void onlyTheMetricsModule_andTheCli_knowMicrometer() {
    check(noClasses().that().resideOutsideOfPackages(METRICS, CLI)
        .should().dependOnClassesThat().resideInAnyPackage("io.micrometer..", METRICS));
  }
}
