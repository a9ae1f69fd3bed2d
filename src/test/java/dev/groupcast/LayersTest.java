package dev.groupcast;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * The package layers (README, How it works), checked on the compiled classes: the process wiring on
 * top; the gateway and the proxy beside each other; the protocol core below them, knowing no
 * transport; the node's own services (auth, operations); at the bottom shared HTTP/Netty plumbing,
 * cluster utilities, error codes and configuration. A forbidden import fails the build here.
 */
@AnalyzeClasses(packages = "dev.groupcast", importOptions = ImportOption.DoNotIncludeTests.class)
class LayersTest {

  @ArchTest
  static final ArchRule noPackageCycles = slices().matching("dev.groupcast.(*)..").should().beFreeOfCycles();

  @ArchTest
  static final ArchRule layers = layeredArchitecture().consideringOnlyDependenciesInLayers()
      .layer("Wiring").definedBy("dev.groupcast")
      .layer("Tools").definedBy("dev.groupcast.bench..")
      .layer("Gateway").definedBy("dev.groupcast.gateway..")
      .layer("Proxy").definedBy("dev.groupcast.proxy..")
      .layer("Core").definedBy("dev.groupcast.group..")
      .layer("Ops").definedBy("dev.groupcast.ops..")
      .layer("Auth").definedBy("dev.groupcast.auth..")
      .layer("Cluster").definedBy("dev.groupcast.cluster..")
      .layer("Net").definedBy("dev.groupcast.net..")
      .layer("Logging").definedBy("dev.groupcast.logging..")
      .layer("Errors").definedBy("dev.groupcast.error..")
      .layer("Config").definedBy("dev.groupcast.config..")
      .whereLayer("Wiring").mayNotBeAccessedByAnyLayer()
      .whereLayer("Tools").mayOnlyBeAccessedByLayers("Wiring")
      .whereLayer("Gateway").mayOnlyBeAccessedByLayers("Wiring")
      .whereLayer("Proxy").mayOnlyBeAccessedByLayers("Wiring")
      .whereLayer("Core").mayOnlyBeAccessedByLayers("Wiring", "Gateway")
      .whereLayer("Ops").mayOnlyBeAccessedByLayers("Wiring", "Gateway", "Proxy", "Core")
      .whereLayer("Auth").mayOnlyBeAccessedByLayers("Wiring", "Gateway", "Proxy", "Core", "Ops")
      .whereLayer("Cluster").mayOnlyBeAccessedByLayers("Wiring", "Gateway", "Proxy", "Core", "Ops")
      .whereLayer("Net").mayOnlyBeAccessedByLayers("Wiring", "Gateway", "Proxy", "Ops", "Cluster")
      .whereLayer("Logging").mayOnlyBeAccessedByLayers("Wiring")
      .whereLayer("Errors").mayOnlyBeAccessedByLayers("Wiring", "Gateway", "Proxy", "Core", "Ops", "Auth", "Cluster", "Net")
      .whereLayer("Config").mayOnlyBeAccessedByLayers("Wiring", "Tools", "Gateway", "Proxy", "Core", "Ops", "Auth", "Cluster", "Net");

  @ArchTest
  static final ArchRule gatewayNeverImportsTheProxy = noClasses().that().resideInAPackage("dev.groupcast.gateway..")
      .should().dependOnClassesThat().resideInAPackage("dev.groupcast.proxy..");

  @ArchTest
  static final ArchRule proxyNeverImportsTheGateway = noClasses().that().resideInAPackage("dev.groupcast.proxy..")
      .should().dependOnClassesThat().resideInAPackage("dev.groupcast.gateway..");

  @ArchTest
  static final ArchRule theCoreKnowsNoTransport = noClasses().that().resideInAPackage("dev.groupcast.group..")
      .should().dependOnClassesThat().resideInAnyPackage("dev.groupcast.gateway..", "dev.groupcast.proxy..",
          "dev.groupcast.net..", "io.vertx.core.http..", "io.vertx.ext.web..", "io.netty.handler.codec.http..")
      .as("the protocol core (group) knows no transport, no proxy, no HTTP");
}
