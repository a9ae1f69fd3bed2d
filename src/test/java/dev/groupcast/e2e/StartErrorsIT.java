package dev.groupcast.e2e;

import dev.groupcast.support.JarProcess;
import dev.groupcast.support.TestCluster;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every listener of every role that cannot bind its port ends the fat jar with one line naming the
 * key and the value, exit code 1, no stack trace, and no time spent after saying so: once as the
 * check before start finds it, once with that check off (the port taken between check and bind, as
 * when several nodes start at once), so the bind itself is what fails.
 */
class StartErrorsIT {

  @ParameterizedTest(name = "{0} ({1}), port check before start: {2}")
  @CsvSource({
      "http.port,       gateway, true",
      "http.port,       gateway, false",
      "proxy.port,      'gateway,proxy', true",
      "proxy.port,      'gateway,proxy', false",
      "http.port,       proxy,   true",
      "http.port,       proxy,   false",
      "cluster.port,    gateway, true",
      "cluster.port,    gateway, false",
      "cluster.busPort, gateway, true",
      "cluster.busPort, gateway, false",
  })
  void aPortInUseIsOneLineAndExitCode1(String key, String roles, boolean checkFirst) throws Exception {
    try (ServerSocket taken = new ServerSocket()) {
      taken.bind(new InetSocketAddress("127.0.0.1", 0));
      int port = taken.getLocalPort();
      Map<String, String> env = new HashMap<>(Map.of(
          "GROUPCAST_ROLES", roles,
          "GROUPCAST_HTTP_HOST", "127.0.0.1",
          "GROUPCAST_HTTP_PORT", String.valueOf(TestCluster.freePort()),
          "GROUPCAST_PROXY_PORT", String.valueOf(TestCluster.freePort()),
          "GROUPCAST_CLUSTER_PORT", String.valueOf(TestCluster.freePort()),
          "GROUPCAST_CLUSTER_NAME", "start-errors-" + port));
      if (roles.equals("proxy")) {
        env.put("GROUPCAST_PROXY_BACKENDS", "127.0.0.1:" + TestCluster.freePort());
      }
      env.put(envName(key), String.valueOf(port));
      List<String> jvm = checkFirst ? List.of() : List.of("-Dgroupcast.skipPortCheck=true");

      JarProcess.Result r = JarProcess.run(jvm, env);

      String host = key.equals("proxy.port") ? "0.0.0.0" : "127.0.0.1";
      String expected = "groupcast: cannot start: " + key + " " + port + " on " + host + " is not available (";
      assertEquals(1, r.exitCode(), r.stderr() + r.stdout());
      assertTrue(r.stderr().startsWith(expected), "one line naming the key and the value: " + r.stderr());
      assertEquals(1, r.stderr().lines().count(), r.stderr());
      assertFalse((r.stdout() + r.stderr()).contains("\tat "), "no stack trace:\n" + r.stdout());
      assertTrue(r.msAfterStderr() >= 0 && r.msAfterStderr() < 1000,
          "exits within a second of saying so, took " + r.msAfterStderr() + " ms");
      System.out.printf("%s (%s, check first %s): exit 1 after %d ms, %d ms after the line%n", key, roles,
          checkFirst, r.ms(), r.msAfterStderr());
    }
  }

  private static String envName(String key) {
    return switch (key) {
      case "http.port" -> "GROUPCAST_HTTP_PORT";
      case "proxy.port" -> "GROUPCAST_PROXY_PORT";
      case "cluster.port" -> "GROUPCAST_CLUSTER_PORT";
      case "cluster.busPort" -> "GROUPCAST_CLUSTER_BUS_PORT";
      default -> throw new IllegalArgumentException(key);
    };
  }
}
