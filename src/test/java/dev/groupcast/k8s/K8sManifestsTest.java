package dev.groupcast.k8s;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.groupcast.config.ConfigLoader;
import dev.groupcast.config.GroupcastConfig;
import dev.groupcast.config.Role;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code k8s/}: every manifest parsed strictly against the Kubernetes API model (fabric8), so a
 * misspelled field fails the build, and cross-checked against each other and against the
 * configuration the app really loads.
 */
class K8sManifestsTest {

  private static final Path DIR = Path.of("k8s");
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
      .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true);
  private static final Map<String, Class<? extends HasMetadata>> KINDS = Map.of(
      "StatefulSet", StatefulSet.class, "Service", Service.class, "ConfigMap", ConfigMap.class,
      "PodDisruptionBudget", PodDisruptionBudget.class);

  static List<HasMetadata> resources;
  static StatefulSet statefulSet;
  static Container container;
  static GroupcastConfig appConfig;

  @BeforeAll
  static void load() throws IOException {
    resources = new ArrayList<>();
    for (String file : kustomizationResources()) {
      resources.add(parseStrict(Files.readString(DIR.resolve(file)), file));
    }
    statefulSet = one(StatefulSet.class);
    container = statefulSet.getSpec().getTemplate().getSpec().getContainers().get(0);
    ConfigMap config = one(ConfigMap.class);
    Path file = Files.createTempFile("groupcast-k8s", ".json");
    Files.writeString(file, config.getData().get("groupcast.json"));
    Map<String, String> env = new HashMap<>();
    env.put("GROUPCAST_CLUSTER_HOST", "127.0.0.1"); // the pod IP in a cluster
    env.put("GROUPCAST_AUTH_JWT_SECRET", "x".repeat(32)); // from the Secret groupcast-auth
    env.put("GROUPCAST_AUTH_API_KEY", "key");
    appConfig = ConfigLoader.load(file, env); // the app's own validation: a bad value fails here
  }

  /** Parses one manifest into its typed model; a field the model does not know fails. */
  static HasMetadata parseStrict(String yaml, String source) throws IOException {
    JsonNode node = YAML.readTree(yaml);
    String kind = node.path("kind").asText();
    Class<? extends HasMetadata> type = KINDS.get(kind);
    assertNotNull(type, source + ": unexpected kind " + kind);
    HasMetadata resource = YAML.treeToValue(node, type);
    List<String> unknown = new ArrayList<>();
    collectUnknown(resource, kind, unknown, new IdentityHashMap<>());
    assertEquals(List.of(), unknown, source + ": fields the Kubernetes API does not have");
    return resource;
  }

  /** fabric8 keeps unknown fields in additionalProperties instead of failing: walk the model for them. */
  private static void collectUnknown(Object o, String path, List<String> unknown, Map<Object, Boolean> seen) {
    if (o == null || seen.put(o, true) != null) {
      return;
    }
    if (o instanceof Collection<?> c) {
      int i = 0;
      for (Object item : c) {
        collectUnknown(item, path + "[" + i++ + "]", unknown, seen);
      }
      return;
    }
    if (o instanceof Map<?, ?> m) {
      m.forEach((k, v) -> collectUnknown(v, path + "." + k, unknown, seen));
      return;
    }
    if (!o.getClass().getName().startsWith("io.fabric8.kubernetes.api.model")) {
      return;
    }
    for (Method getter : o.getClass().getMethods()) {
      if (getter.getParameterCount() != 0 || !getter.getName().startsWith("get") || getter.getName().equals("getClass")) {
        continue;
      }
      try {
        Object value = getter.invoke(o);
        if (getter.getName().equals("getAdditionalProperties")) {
          if (value instanceof Map<?, ?> extra && !extra.isEmpty()) {
            unknown.add(path + ": " + extra.keySet());
          }
        } else {
          collectUnknown(value, path + "." + getter.getName().substring(3), unknown, seen);
        }
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  @Test
  void aMisspelledFieldIsCaught() throws IOException {
    String typo = Files.readString(DIR.resolve("statefulset.yaml")).replace("serviceName:", "servceName:");
    assertThrows(AssertionError.class, () -> parseStrict(typo, "statefulset.yaml with a typo"));
    String nested = Files.readString(DIR.resolve("statefulset.yaml")).replace("periodSeconds: 2", "periodSecond: 2");
    assertThrows(AssertionError.class, () -> parseStrict(nested, "statefulset.yaml with a nested typo"));
  }

  @Test
  void kustomizationListsEveryManifest() throws IOException {
    Set<String> files;
    try (Stream<Path> list = Files.list(DIR)) {
      files = list.map(p -> p.getFileName().toString())
          .filter(n -> n.endsWith(".yaml") && !n.equals("kustomization.yaml")).collect(Collectors.toSet());
    }
    assertEquals(files, Set.copyOf(kustomizationResources()));
    assertEquals(Set.of("StatefulSet", "Service", "ConfigMap", "PodDisruptionBudget"),
        resources.stream().map(HasMetadata::getKind).collect(Collectors.toSet()));
  }

  @Test
  void servicesAndTheBudgetSelectThePods() {
    Map<String, String> podLabels = statefulSet.getSpec().getTemplate().getMetadata().getLabels();
    assertEquals(statefulSet.getSpec().getSelector().getMatchLabels(), podLabels);
    for (Service s : all(Service.class)) {
      assertTrue(podLabels.entrySet().containsAll(s.getSpec().getSelector().entrySet()),
          s.getMetadata().getName() + " selects the pods");
      for (ServicePort port : s.getSpec().getPorts()) {
        assertTrue(containerPort(port.getTargetPort().getStrVal()) != null,
            s.getMetadata().getName() + " targets a container port: " + port.getTargetPort());
      }
    }
    PodDisruptionBudget pdb = one(PodDisruptionBudget.class);
    assertTrue(podLabels.entrySet().containsAll(pdb.getSpec().getSelector().getMatchLabels().entrySet()));
  }

  @Test
  void discoveryGoesThroughTheHeadlessService() {
    Service headless = service(statefulSet.getSpec().getServiceName());
    assertEquals("None", headless.getSpec().getClusterIP());
    assertEquals(Boolean.TRUE, headless.getSpec().getPublishNotReadyAddresses());
    assertEquals(GroupcastConfig.Discovery.KUBERNETES, appConfig.cluster().discovery());
    assertEquals(headless.getMetadata().getName(), appConfig.cluster().service().split("\\.")[0],
        "the ConfigMap names the headless Service for discovery");
    assertEquals(appConfig.cluster().port(), headless.getSpec().getPorts().get(0).getPort());
    assertEquals(appConfig.cluster().port(), containerPort("hazelcast").getContainerPort());
    EnvVar podIp = env("POD_IP");
    assertEquals("status.podIP", podIp.getValueFrom().getFieldRef().getFieldPath());
    assertEquals("$(POD_IP)", env("GROUPCAST_CLUSTER_HOST").getValue(), "the event bus advertises the pod IP");
  }

  @Test
  void theQuorumIsAMajorityOfTheReplicasAndThePodsSpreadOverMachines() {
    assertEquals(statefulSet.getSpec().getReplicas(), appConfig.cluster().expectedSize(),
        "cluster.expectedSize in the ConfigMap is the StatefulSet's replicas");
    assertEquals(statefulSet.getSpec().getReplicas() / 2 + 1, appConfig.cluster().quorum());
    var spread = statefulSet.getSpec().getTemplate().getSpec().getTopologySpreadConstraints().stream()
        .filter(c -> c.getTopologyKey().equals("kubernetes.io/hostname")).findFirst().orElseThrow();
    assertEquals("DoNotSchedule", spread.getWhenUnsatisfiable(), "one pod per machine, not a preference");
    assertEquals(1, spread.getMaxSkew());
    assertEquals(statefulSet.getSpec().getTemplate().getMetadata().getLabels(), spread.getLabelSelector().getMatchLabels());
  }

  @Test
  void authIsOnWithItsCredentialsFromASecret() {
    assertTrue(appConfig.auth().required(), "the k8s example demands tokens");
    for (String name : List.of("GROUPCAST_AUTH_JWT_SECRET", "GROUPCAST_AUTH_API_KEY")) {
      EnvVar var = env(name);
      assertEquals("groupcast-auth", var.getValueFrom().getSecretKeyRef().getName(), name + " comes from the Secret");
    }
    assertFalse(appConfig.http().trustedProxies().isEmpty(), "the proxies in front of the gateways are trusted");
  }

  @Test
  void probesAndPortsAreTheOnesTheAppServes() {
    assertEquals(appConfig.http().port(), containerPort("http").getContainerPort());
    assertTrue(appConfig.has(Role.GATEWAY) && appConfig.has(Role.PROXY));
    assertEquals(appConfig.proxy().port(), containerPort("proxy").getContainerPort());
    assertProbe(container.getReadinessProbe(), "/health/ready");
    assertProbe(container.getLivenessProbe(), "/health/live");
    assertProbe(container.getStartupProbe(), "/health/live");
    assertEquals(List.of("-c", "/etc/groupcast/groupcast.json"), container.getArgs());
    assertEquals("/etc/groupcast", container.getVolumeMounts().get(0).getMountPath());
  }

  @Test
  void theDrainFitsTheGracePeriodAndTheHeapTheLimit() {
    List<String> preStop = container.getLifecycle().getPreStop().getExec().getCommand();
    assertEquals("sleep", preStop.get(0));
    long preStopSeconds = Long.parseLong(preStop.get(1));
    long grace = statefulSet.getSpec().getTemplate().getSpec().getTerminationGracePeriodSeconds();
    assertTrue(grace >= preStopSeconds + appConfig.shutdown().timeout().toSeconds(),
        "terminationGracePeriodSeconds covers preStop + shutdown.timeout");
    assertNotNull(container.getResources().getLimits().get("memory"));
    assertNotNull(container.getResources().getLimits().get("cpu"));
    assertNotNull(container.getResources().getRequests().get("memory"));
    assertTrue(env("JAVA_OPTS").getValue().contains("MaxRAMPercentage"), "the heap follows the memory limit");
  }

  @Test
  void theDockerfileBuildsFromTheFatJar() throws IOException {
    String dockerfile = Files.readString(Path.of("src", "main", "docker", "Dockerfile"));
    assertTrue(dockerfile.contains("COPY target/groupcast.jar"));
    assertTrue(dockerfile.contains("$JAVA_OPTS"));
    assertTrue(List.of(dockerfile.split("\\s+")).containsAll(List.of("8080", "8000", "5701")));
  }

  private static void assertProbe(Probe probe, String path) {
    assertNotNull(probe);
    assertEquals(path, probe.getHttpGet().getPath());
    assertEquals(appConfig.http().port(), containerPort(probe.getHttpGet().getPort().getStrVal()).getContainerPort());
  }

  @SuppressWarnings("unchecked")
  private static List<String> kustomizationResources() throws IOException {
    Map<String, Object> k = YAML.readValue(Files.readString(DIR.resolve("kustomization.yaml")), Map.class);
    return (List<String>) k.get("resources");
  }

  private static ContainerPort containerPort(String name) {
    return container.getPorts().stream().filter(p -> name.equals(p.getName())).findFirst().orElse(null);
  }

  private static EnvVar env(String name) {
    return container.getEnv().stream().filter(e -> name.equals(e.getName())).findFirst()
        .orElseThrow(() -> new AssertionError("no env " + name));
  }

  private static Service service(String name) {
    return all(Service.class).stream().filter(s -> name.equals(s.getMetadata().getName())).findFirst()
        .orElseThrow(() -> new AssertionError("no Service " + name));
  }

  private static <T> T one(Class<T> type) {
    List<T> found = all(type);
    assertEquals(1, found.size(), type.getSimpleName());
    return found.get(0);
  }

  private static <T> List<T> all(Class<T> type) {
    return resources.stream().filter(type::isInstance).map(type::cast).toList();
  }
}
