package dev.groupcast.e2e;

import dev.groupcast.support.Browser;
import dev.groupcast.support.JarCluster;
import dev.groupcast.support.TestCluster;
import dev.groupcast.support.WsClient;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The live dashboard in headless Chromium on a 2-node cluster of fat-jar processes (node a also runs
 * the proxy): it lists both nodes and the proxy's backends, and when clients join a group it shows
 * them without a reload. The screenshot stays in target/browser/admin-dashboard.png.
 */
@ExtendWith(VertxExtension.class)
class AdminDashboardIT {

  private static final Duration WAIT = Duration.ofSeconds(30);

  @Test
  void theDashboardRendersTheClusterAndUpdatesWhenClientsJoin(Vertx vertx) throws Exception {
    List<Map<String, String>> envs = TestCluster.nodeEnvs("admin", 2, Map.of());
    envs.get(0).put("GROUPCAST_ROLES", "gateway,proxy");
    try (JarCluster cluster = JarCluster.start(vertx, "admin", envs);
         Browser page = Browser.start()) {
      page.windowSize(1400, 1100).open(cluster.url(1) + "/admin");
      page.waitFor("both nodes listed", WAIT, p -> p.all("#nodes tbody tr").size() == 2
          && p.text("#nodes tbody").contains("admin-a") && p.text("#nodes tbody").contains("admin-b"));
      page.waitFor("the proxy's backends, healthy", WAIT, p -> p.all("#backends tbody tr").size() == 2
          && p.text("#backends tbody").split("\\bup\\b", -1).length - 1 == 2);
      assertTrue(page.text("#groups tbody").contains("no groups"), page.text("#groups tbody"));
      int updatesBefore = updates(page);

      int nodeB = Integer.parseInt(envs.get(1).get("GROUPCAST_HTTP_PORT"));
      try (WsClient judge1 = WsClient.connect(vertx, nodeB);
           WsClient judge2 = WsClient.connect(vertx, nodeB)) {
        judge1.join("judges");
        judge2.join("judges");
        for (int i = 0; i < 5; i++) {
          judge1.publish("judges", "score " + i);
        }
        page.waitFor("the group and its members appear", WAIT, p -> groupRow(p, "judges") != null
            && groupRow(p, "judges").contains("2"));
        page.waitFor("node b's connections counted", WAIT,
            p -> nodeRow(p, "admin-b").matches(".*\\bready\\b.*\\b2\\b.*"));
        assertTrue(updates(page) > updatesBefore, "updated in place, no reload");
        assertEquals("", page.script("return document.querySelector('#status').className.includes('stale') ? 'stale' : ''"));
        Path shot = Path.of("target", "browser", "admin-dashboard.png");
        Files.createDirectories(shot.getParent());
        page.screenshot(shot);
        assertTrue(Files.size(shot) > 10_000, "a real screenshot");
      }
    }
  }

  private static int updates(Browser page) {
    Object n = page.script("return Number(document.body.dataset.updates || 0)");
    return ((Number) n).intValue();
  }

  private static String groupRow(Browser page, String group) {
    return rowStartingWith(page, "#groups tbody tr", group + " ");
  }

  private static String nodeRow(Browser page, String node) {
    String row = rowStartingWith(page, "#nodes tbody tr", node + " ");
    return row == null ? "" : row;
  }

  /**
   * The text of the first row starting with {@code prefix}, read in one script call: the page redraws
   * its tables every second, so elements found in one call may be gone in the next.
   */
  @SuppressWarnings("unchecked")
  private static String rowStartingWith(Browser page, String rows, String prefix) {
    List<String> texts = (List<String>) page.script(
        "return Array.from(document.querySelectorAll(arguments[0])).map(r => r.innerText.replace(/\\s+/g, ' ').trim());", rows);
    return texts.stream().filter(t -> t.startsWith(prefix)).findFirst().orElse(null);
  }
}
