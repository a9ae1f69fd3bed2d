package dev.groupcast.e2e;

import dev.groupcast.support.Await;
import dev.groupcast.support.JarCluster;
import dev.groupcast.support.Witness;
import dev.groupcast.support.WsClient;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The owner and the backup of some groups' logs die together: two of three fat-jar nodes SIGKILLed at
 * once, then started again. With one backup per log, the groups whose two copies were both on the
 * dead nodes (about a third) lost their log; the others survive on the third node. A member on the
 * survivor and a client resuming from where it was must be told, with a new epoch, for every lost
 * group ({@code reset}, {@code recovered:false}), and get nothing replayed from the old stream; the
 * surviving groups resume as if nothing happened. One line of counts; the wrong ones must be zero.
 */
@ExtendWith(VertxExtension.class)
class ReplicaLossIT {

  private static final List<String> GROUPS = IntStream.range(0, 24).mapToObj(i -> "rl-" + i).toList();
  private static final int BEFORE = 3;

  @Test
  void groupsWhoseReplicasAllDiedStartANewEpochAndSayIt(Vertx vertx) throws Exception {
    try (JarCluster cluster = JarCluster.start(vertx, "rl", 3, Map.of())) {
      WebClient http = WebClient.create(vertx);
      int a = cluster.node(0).httpPort;
      Witness member = new Witness(vertx, "127.0.0.1", a, GROUPS).start();
      Map<String, String> oldEpoch = new HashMap<>();
      Set<String> oldIds = new HashSet<>();
      for (String g : GROUPS) {
        for (int i = 1; i <= BEFORE; i++) {
          String id = g + "-old-" + i;
          assertEquals(i, publish(http, a, g, id).getLong("seq"));
          oldIds.add(id);
        }
        oldEpoch.put(g, history(http, a, g, 0, null).getString("epoch"));
      }
      Await.until("the member has the first messages", 20,
          () -> GROUPS.stream().allMatch(g -> member.ids(g).size() == BEFORE));

      cluster.node(1).kill();
      cluster.node(2).kill();
      cluster.restart(vertx, 1);
      cluster.restart(vertx, 2);
      Await.result(cluster.node(0).ready(vertx, 60_000), 70);

      // one fresh message per group, through the survivor (it retries while the cluster settles)
      for (String g : GROUPS) {
        publish(http, a, g, g + "-fresh");
      }
      // a lost group's stream restarts at seq 1 of a new epoch; a member on a node that learns of it
      // after its first messages is reset to the latest seq (the contract: reset, then live), so
      // what proves it live again is one more message after the reset
      Map<String, String> epochNow = new HashMap<>();
      for (String g : GROUPS) {
        epochNow.put(g, history(http, cluster.node(2).httpPort, g, 0, null).getString("epoch"));
      }
      Await.until("the member is in every group's current epoch", 30,
          () -> GROUPS.stream().allMatch(g -> epochNow.get(g).equals(member.epoch(g))));
      for (String g : GROUPS) {
        publish(http, a, g, g + "-fresh2");
      }
      Await.until("the member got every message after the loss", 30, () -> GROUPS.stream().allMatch(g ->
          member.got(g, g + "-fresh2") && (!epochNow.get(g).equals(oldEpoch.get(g)) || member.got(g, g + "-fresh"))));

      int lost = 0;
      int kept = 0;
      int resetsMissing = 0;
      int wrongReplays = 0;
      int recoveredWrong = 0;
      int keptDamaged = 0;
      try (WsClient resumer = WsClient.connect(vertx, cluster.node(1).httpPort)) {
        for (String g : GROUPS) {
          // a message shows in another node's history once known acknowledged, or a few seconds old
          JsonObject history = historyWith(http, cluster.node(2).httpPort, g, g + "-fresh2");
          boolean newEpoch = !history.getString("epoch").equals(oldEpoch.get(g));
          assertEquals(epochNow.get(g), history.getString("epoch"), "one epoch change, not two: " + g);
          List<String> ids = history.getJsonArray("messages").stream()
              .map(m -> ((JsonObject) m).getJsonObject("body").getString("id")).toList();
          JsonObject joined = resumer.request(new JsonObject().put("type", "join").put("group", g)
              .put("since", BEFORE).put("epoch", oldEpoch.get(g)));
          assertEquals(history.getString("epoch"), joined.getString("epoch"), g);
          if (newEpoch) {
            lost++;
            // the member on the survivor was told; nothing of the old stream is in the new one
            resetsMissing += member.resetsOf(g) > 0 && history.getString("epoch").equals(member.epoch(g)) ? 0 : 1;
            wrongReplays += (int) ids.stream().filter(oldIds::contains).count();
            recoveredWrong += Boolean.FALSE.equals(joined.getBoolean("recovered")) ? 0 : 1;
            // a since of the old epoch replays nothing: the history of the old epoch is gone too
            JsonObject oldRead = history(http, cluster.node(1).httpPort, g, BEFORE, oldEpoch.get(g));
            recoveredWrong += Boolean.FALSE.equals(oldRead.getBoolean("recovered"))
                && oldRead.getJsonArray("messages").isEmpty() ? 0 : 1;
          } else {
            kept++;
            List<String> expected = new ArrayList<>();
            for (int i = 1; i <= BEFORE; i++) {
              expected.add(g + "-old-" + i);
            }
            expected.add(g + "-fresh");
            expected.add(g + "-fresh2");
            if (!ids.equals(expected) || member.resetsOf(g) != 0) {
              keptDamaged++;
              System.out.println("REPLICA-LOSS kept group " + g + " damaged: history " + ids + ", member resets "
                  + member.resetsOf(g));
            }
            recoveredWrong += Boolean.TRUE.equals(joined.getBoolean("recovered")) ? 0 : 1;
            JsonObject replayed = resumer.nextMessage(g);
            if (!(g + "-fresh").equals(replayed.getJsonObject("body").getString("id"))) {
              keptDamaged++;
              System.out.println("REPLICA-LOSS kept group " + g + " resumed with " + replayed.encode());
            }
          }
        }
        resumer.ping(); // every replay was sent before the pong
        for (JsonObject f : resumer.inbox()) {
          if ("message".equals(f.getString("type")) && oldIds.contains(f.getJsonObject("body").getString("id"))) {
            wrongReplays++;
          }
        }
      }
      member.stop();
      String line = String.format("REPLICA-LOSS groups=%d lost=%d kept=%d resetsMissing=%d wrongReplays=%d "
          + "recoveredWrong=%d keptDamaged=%d memberConflicts=%d", GROUPS.size(), lost, kept, resetsMissing,
          wrongReplays, recoveredWrong, keptDamaged, member.conflicts());
      System.out.println(line);
      assertTrue(lost > 0 && kept > 0, "with one backup, some groups lose both copies and some keep one: " + line);
      assertEquals(0, resetsMissing + wrongReplays + recoveredWrong + keptDamaged + member.conflicts(), line);
    }
  }

  /** Publishes with an Idempotency-Key, again while the cluster answers 503 (it is settling). */
  private static JsonObject publish(WebClient http, int port, String group, String id) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 60_000;
    while (true) {
      HttpResponse<Buffer> r = Await.result(http.post(port, "127.0.0.1", "/api/groups/" + group + "/messages")
          .putHeader("Idempotency-Key", id).sendJsonObject(new JsonObject().put("id", id)), 30);
      if (r.statusCode() == 202) {
        return r.bodyAsJsonObject();
      }
      assertEquals(503, r.statusCode(), r.bodyAsString());
      assertTrue(System.currentTimeMillis() < deadline, "publish refused for a minute: " + r.bodyAsString());
      Thread.sleep(250); // a retry interval against a settling cluster, not a synchronisation
    }
  }

  private static JsonObject historyWith(WebClient http, int port, String group, String id) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 20_000;
    while (true) {
      JsonObject h = history(http, port, group, 0, null);
      if (h.getJsonArray("messages").stream().anyMatch(m -> id.equals(((JsonObject) m).getJsonObject("body")
          .getString("id"))) || System.currentTimeMillis() > deadline) {
        return h;
      }
      Thread.sleep(250); // polling another process's state
    }
  }

  private static JsonObject history(WebClient http, int port, String group, long since, String epoch)
      throws InterruptedException {
    String uri = "/api/groups/" + group + "/history?since=" + since + (epoch == null ? "" : "&epoch=" + epoch);
    long deadline = System.currentTimeMillis() + 60_000;
    while (true) {
      HttpResponse<Buffer> r = Await.result(http.get(port, "127.0.0.1", uri).send(), 30);
      if (r.statusCode() == 200) {
        return r.bodyAsJsonObject();
      }
      assertTrue(System.currentTimeMillis() < deadline, "history refused for a minute: " + r.bodyAsString());
      Thread.sleep(250); // as above
    }
  }
}
