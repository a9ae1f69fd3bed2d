package dev.groupcast.e2e;

import dev.groupcast.support.Await;
import dev.groupcast.support.Browser;
import dev.groupcast.support.JarProcess;
import dev.groupcast.support.TestCluster;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Every page a node ships ({@code /}, {@code /bridge.html}, {@code /admin/}, and the dashboard of a
 * proxy-only node) in headless Chromium, used the way a person would: not one console error, the
 * browser's own favicon request included.
 */
@ExtendWith(VertxExtension.class)
class ShippedPagesIT {

  private static final Duration WAIT = Duration.ofSeconds(30);

  @Test
  void noShippedPageLogsAConsoleError(Vertx vertx) throws Exception {
    Map<String, String> gatewayEnv = TestCluster.nodeEnvs("pages", 1, Map.of()).get(0);
    gatewayEnv.put("GROUPCAST_NODE_ID", "pages-a");
    int gatewayPort = Integer.parseInt(gatewayEnv.get("GROUPCAST_HTTP_PORT"));
    Map<String, String> proxyEnv = new HashMap<>(Map.of("GROUPCAST_NODE_ID", "pages-proxy",
        "GROUPCAST_ROLES", "proxy", "GROUPCAST_HTTP_HOST", "127.0.0.1",
        "GROUPCAST_HTTP_PORT", String.valueOf(TestCluster.freePort()),
        "GROUPCAST_PROXY_PORT", String.valueOf(TestCluster.freePort()),
        "GROUPCAST_PROXY_BACKENDS", "127.0.0.1:" + gatewayPort));
    try (JarProcess gateway = JarProcess.start("pages-a", gatewayEnv);
         JarProcess proxy = JarProcess.start("pages-proxy", proxyEnv);
         Browser browser = Browser.start()) {
      Await.result(gateway.ready(vertx, 60_000), 70);
      Await.result(proxy.ready(vertx, 60_000), 70);
      String node = "http://127.0.0.1:" + gatewayPort;

      browser.open(node + "/?name=ann&group=pages&autojoin=1");
      browser.waitFor("the board joined", WAIT, p -> "open".equals(p.text("#state")) && p.all("#post:enabled").size() == 1);
      browser.type("#text", "hello");
      browser.click("#post");
      browser.waitFor("the post on the board", WAIT, p -> p.all("#board li[data-seq]").size() == 1);
      assertEquals(List.of(), browser.consoleErrors(), "/");

      browser.open(node + "/bridge.html?group=pages&name=bo");
      browser.waitFor("the bridge page open", WAIT, p -> "open".equals(p.text("#state")) && p.all("#post:enabled").size() == 1);
      browser.type("#text", "over the bridge");
      browser.click("#post");
      browser.waitFor("the bridge page got its message", WAIT, p -> p.all("#messages li").size() == 1);
      assertEquals(List.of(), browser.consoleErrors(), "/bridge.html");

      // a proxy with a static backend list runs alone: its dashboard shows itself
      Map<String, String> dashboards = Map.of(node + "/admin/", "pages-a",
          "http://127.0.0.1:" + proxyEnv.get("GROUPCAST_HTTP_PORT") + "/admin/", "pages-proxy");
      for (Map.Entry<String, String> admin : dashboards.entrySet()) {
        browser.open(admin.getKey());
        browser.waitFor("the dashboard lists " + admin.getValue(), WAIT, p -> p.text("#nodes tbody").contains(admin.getValue())
            && ((Number) p.script("return Number(document.body.dataset.updates || 0)")).intValue() >= 2);
        assertEquals(List.of(), browser.consoleErrors(), admin.getKey());
      }
    }
  }
}
