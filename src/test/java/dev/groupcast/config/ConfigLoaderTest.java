package dev.groupcast.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConfigLoaderTest {

  @Test
  void defaultsMatchTheDocumentedValues() {
    GroupcastConfig c = ConfigLoader.load(null, Map.of());
    assertEquals(Set.of(Role.GATEWAY), c.roles());
    assertEquals("0.0.0.0", c.http().host());
    assertEquals(8080, c.http().port());
    assertEquals("127.0.0.1", c.cluster().host());
    assertEquals(5701, c.cluster().port());
    assertEquals(List.of(), c.cluster().members());
    assertEquals(100, c.history().size());
    assertEquals(Duration.ofMinutes(10), c.history().ttl());
    assertEquals(65536, c.limits().maxMessageBytes());
    assertFalse(c.node().id().isBlank(), "node.id defaults to the host name");
  }

  @Test
  void theExpectedSizeCountsTheGatewaysListedNeverAProxyOnlyNode() {
    Map<String, String> three = Map.of("GROUPCAST_CLUSTER_MEMBERS", "10.0.0.1:5701,10.0.0.2:5701,10.0.0.3:5701");
    // a gateway not listed counts itself
    assertEquals(4, ConfigLoader.load(null, three).cluster().expectedSize());
    assertEquals(3, ConfigLoader.load(null, Map.of("GROUPCAST_CLUSTER_MEMBERS", "127.0.0.1:5701,10.0.0.2:5701,10.0.0.3:5701"))
        .cluster().expectedSize());
    // a proxy-only node lists the gateways it discovers through, and is not one of them
    Map<String, String> proxy = new java.util.HashMap<>(three);
    proxy.put("GROUPCAST_ROLES", "proxy");
    GroupcastConfig p = ConfigLoader.load(null, proxy);
    assertEquals(3, p.cluster().expectedSize());
    assertEquals(2, p.cluster().quorum());
  }

  @Test
  void envNamesAreUpperSnakeCaseOfTheKeyPath() {
    assertEquals("GROUPCAST_HTTP_PORT", ConfigLoader.envName("http.port"));
    assertEquals("GROUPCAST_PROXY_READ_TIMEOUT", ConfigLoader.envName("proxy.readTimeout"));
    assertEquals("GROUPCAST_LIMITS_MAX_MESSAGE_BYTES", ConfigLoader.envName("limits.maxMessageBytes"));
    assertEquals("GROUPCAST_ROLES", ConfigLoader.envName("roles"));
  }

  @Test
  void fileOverridesDefaultsAndEnvironmentOverridesFile(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("g.json");
    Files.writeString(file, """
        {"node":{"id":"judge-1"},"roles":["gateway","proxy"],"http":{"port":9000},
         "cluster":{"members":"10.0.0.1:5701, 10.0.0.2:5702"},"history":{"ttl":"250ms"}}""");
    GroupcastConfig c = ConfigLoader.load(file, Map.of(
        "GROUPCAST_HTTP_PORT", "9100",
        "GROUPCAST_LIMITS_MAX_MESSAGE_BYTES", "1024",
        "GROUPCAST_HISTORY_TTL", "3s",
        "GROUPCAST_UNRELATED", "ignored"));
    assertEquals("judge-1", c.node().id());
    assertEquals(Set.of(Role.GATEWAY, Role.PROXY), c.roles());
    assertEquals(9100, c.http().port());
    assertEquals(1024, c.limits().maxMessageBytes());
    assertEquals(Duration.ofSeconds(3), c.history().ttl());
    assertEquals(List.of(new HostPort("10.0.0.1", 5701), new HostPort("10.0.0.2", 5702)), c.cluster().members());
  }

  @ParameterizedTest(name = "{0}={1}")
  @CsvSource(delimiter = '|', value = {
      "GROUPCAST_HTTP_PORT           | 99999      | http.port = \"99999\": out of range 1-65535",
      "GROUPCAST_HTTP_PORT           | 0          | http.port = \"0\": out of range 1-65535",
      "GROUPCAST_HTTP_PORT           | eighty     | http.port = \"eighty\": must be a whole number",
      "GROUPCAST_CLUSTER_PORT        | -1         | cluster.port = \"-1\": out of range 1-65535",
      "GROUPCAST_ROLES               | gateway,db | roles = \"db\": unknown role (known: gateway, proxy)",
      "GROUPCAST_ROLES               | ' '        | roles = \" \": must name at least one role (gateway, proxy)",
      "GROUPCAST_HISTORY_TTL         | 10 minutes | history.ttl = \"10 minutes\": not a duration (write e.g. 250ms, 3s, 5m, 1h)",
      "GROUPCAST_HISTORY_TTL         | 10         | history.ttl = \"10\": not a duration (write e.g. 250ms, 3s, 5m, 1h)",
      "GROUPCAST_HISTORY_TTL         | 500ms      | history.ttl = \"500ms\": must be at least 1s",
      "GROUPCAST_HISTORY_SIZE        | 0          | history.size = \"0\": out of range 1-100000",
      "GROUPCAST_CLUSTER_MEMBERS     | host-only  | cluster.members = \"host-only\": not host:port",
      "GROUPCAST_CLUSTER_MEMBERS     | h:70000    | cluster.members = \"h:70000\": port out of range 1-65535",
      "GROUPCAST_LIMITS_MAX_MESSAGE_BYTES | 1k    | limits.maxMessageBytes = \"1k\": must be a whole number",
      "GROUPCAST_PROXY_BALANCE       | random     | proxy.balance = \"random\": unknown policy (known: round-robin, least-conn, ip-hash, hash)",
      "GROUPCAST_PROXY_HASH_KEY      | body:x     | proxy.hashKey = \"body:x\": must be header:NAME, cookie:NAME or query:NAME",
      "GROUPCAST_PROXY_BACKENDS      | nope       | proxy.backends = \"nope\": not host:port (or cluster)",
      "GROUPCAST_PROXY_READ_TIMEOUT  | 5 min      | proxy.readTimeout = \"5 min\": not a duration (write e.g. 250ms, 3s, 5m, 1h)",
      "GROUPCAST_PROXY_PORT          | 65536      | proxy.port = \"65536\": out of range 1-65535",
      "GROUPCAST_CLUSTER_DISCOVERY   | dns        | cluster.discovery = \"dns\": must be tcp or kubernetes",
      "GROUPCAST_SHUTDOWN_DRAIN_DELAY | 30s       | shutdown.drainDelay = \"30s\": must be shorter than shutdown.timeout",
      "GROUPCAST_HTTP_TRUSTED_PROXIES | proxy.local | http.trustedProxies = \"proxy.local\": not an IP address or CIDR range: proxy.local",
      "GROUPCAST_HTTP_TRUSTED_PROXIES | 10.0.0.0/33 | http.trustedProxies = \"10.0.0.0/33\": bad prefix length in 10.0.0.0/33",
      "GROUPCAST_HTTP_HEADER_TIMEOUT | 10ms       | http.headerTimeout = \"10ms\": must be at least 100ms",
      "GROUPCAST_LOG_FORMAT          | xml        | log.format = \"xml\": must be text or json",
      "GROUPCAST_PROXY_ACCESS_LOG    | yes        | proxy.accessLog = \"yes\": must be true or false",
      "GROUPCAST_PROXY_EVENT_LOOPS   | -1         | proxy.eventLoops = \"-1\": out of range 0-1024",
      "GROUPCAST_PROXY_UPGRADE_RATE  | fast       | proxy.upgradeRate = \"fast\": must be a whole number",
  })
  void badValuesNameTheKeyAndTheValue(String env, String value, String message) {
    ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(null, Map.of(env, value)));
    assertEquals(message, e.getMessage());
    assertFalse(e.getMessage().contains("\n"));
  }

  @Test
  void keysThatNeedEachOther() {
    assertEquals("proxy.hashKey = \"\": required when proxy.balance is hash (header:NAME, cookie:NAME or query:NAME)",
        assertThrows(ConfigException.class, () -> ConfigLoader.load(null, Map.of("GROUPCAST_PROXY_BALANCE", "hash")))
            .getMessage());
    assertEquals("cluster.service = \"\": required with cluster.discovery kubernetes (the headless Service's DNS name)",
        assertThrows(ConfigException.class,
            () -> ConfigLoader.load(null, Map.of("GROUPCAST_CLUSTER_DISCOVERY", "kubernetes"))).getMessage());
    GroupcastConfig proxy = ConfigLoader.load(null, Map.of("GROUPCAST_PROXY_BALANCE", "hash",
        "GROUPCAST_PROXY_HASH_KEY", "cookie:sid", "GROUPCAST_PROXY_BACKENDS", "10.0.0.1:8080,10.0.0.2:8080"));
    assertEquals(Balance.HASH, proxy.proxy().balance());
    assertEquals(new HashKey(HashKey.Source.COOKIE, "sid"), proxy.proxy().hashKey());
    assertEquals(2, proxy.proxy().backends().size());
    assertTrue(ConfigLoader.load(null, Map.of()).proxy().fromCluster());
    assertEquals(Duration.ofMinutes(5), ConfigLoader.load(null, Map.of()).proxy().readTimeout());
  }

  @Test
  void fileProblemsAreOneLineErrors(@TempDir Path dir) throws IOException {
    Path typo = dir.resolve("typo.json");
    Files.writeString(typo, "{\"http\":{\"prot\":80}}");
    assertEquals("http.prot: unknown key",
        assertThrows(ConfigException.class, () -> ConfigLoader.load(typo, Map.of())).getMessage());

    Path broken = dir.resolve("broken.json");
    Files.writeString(broken, "{\"http\":");
    assertTrue(assertThrows(ConfigException.class, () -> ConfigLoader.load(broken, Map.of())).getMessage()
        .startsWith("config file " + broken + ": not a JSON object"));

    Path section = dir.resolve("section.json");
    Files.writeString(section, "{\"http\":8080}");
    assertEquals("http = 8080: must be an object with the keys of section http",
        assertThrows(ConfigException.class, () -> ConfigLoader.load(section, Map.of())).getMessage());

    Path wrongType = dir.resolve("type.json");
    Files.writeString(wrongType, "{\"http\":{\"port\":80.5}}");
    assertEquals("http.port = 80.5: must be a whole number",
        assertThrows(ConfigException.class, () -> ConfigLoader.load(wrongType, Map.of())).getMessage());

    assertEquals("config file " + dir.resolve("missing.json") + ": not found",
        assertThrows(ConfigException.class, () -> ConfigLoader.load(dir.resolve("missing.json"), Map.of()))
            .getMessage());
  }

  @Test
  void durationsReadBack() {
    assertEquals(Duration.ofMillis(250), Durations.parse("250ms"));
    assertEquals(Duration.ofSeconds(3), Durations.parse("3s"));
    assertEquals(Duration.ofMinutes(5), Durations.parse("5m"));
    assertEquals(Duration.ofHours(1), Durations.parse("1h"));
    for (String s : List.of("250ms", "3s", "5m", "1h", "90s", "1500ms")) {
      assertEquals(Durations.parse(s), Durations.parse(Durations.format(Durations.parse(s))));
    }
    assertThrows(IllegalArgumentException.class, () -> Durations.parse("3 s"));
    assertThrows(IllegalArgumentException.class, () -> Durations.parse("-3s"));
    assertThrows(IllegalArgumentException.class, () -> Durations.parse("3d"));
  }
}
