package dev.groupcast.bench;

import dev.groupcast.support.Await;
import dev.groupcast.support.TestCluster;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The bench subcommand in-process: its scenarios against real servers, and its usage errors. */
@ExtendWith(VertxExtension.class)
class BenchCommandTest {

  record Run(int code, String out, String err) {
    JsonObject json() {
      String[] lines = out.strip().split("\n");
      return new JsonObject(lines[lines.length - 1]);
    }
  }

  static Run bench(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = BenchCommand.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void echoCountsRoundTripsThroughAnEchoServer(Vertx vertx) {
    HttpServer echo = Await.result(vertx.createHttpServer()
        .webSocketHandler(ws -> ws.textMessageHandler(ws::writeTextMessage))
        .listen(0, "127.0.0.1"));
    Run run = bench("echo", "--url", "ws://127.0.0.1:" + echo.actualPort() + "/", "--connections", "4",
        "--inflight", "2", "--size", "100", "--warmup", "200ms", "--duration", "1s", "--json");
    assertEquals(0, run.code(), run.err());
    JsonObject result = run.json();
    assertEquals("echo", result.getString("scenario"));
    assertTrue(result.getLong("messages") > 100, result.encode());
    assertEquals(0L, result.getLong("errors"));
    double p50 = result.getJsonObject("latencyMs").getDouble("p50");
    double p99 = result.getJsonObject("latencyMs").getDouble("p99");
    assertTrue(p50 > 0 && p50 <= p99, result.encode());
  }

  @Test
  void fanoutCountsEveryDeliveryAndRetriesWhatTheServerRateLimits() {
    try (TestCluster cluster = TestCluster.start(2, Map.of(
        "GROUPCAST_LIMITS_PUBLISH_RATE", "200", "GROUPCAST_LIMITS_PUBLISH_BURST", "20"))) {
      String urls = "ws://127.0.0.1:" + cluster.httpPort(0) + "/ws,ws://127.0.0.1:" + cluster.httpPort(1) + "/ws";
      Run run = bench("fanout", "--url", urls, "--subscribers", "10", "--groups", "2", "--publishers", "2",
          "--messages", "200", "--json");
      assertEquals(0, run.code(), run.err());
      JsonObject result = run.json();
      assertEquals(200L, result.getLong("acked"), result.encode());
      assertEquals(1000L, result.getLong("expectedDeliveries"), "5 members in each group of 2, 200 messages");
      assertEquals(1000L, result.getLong("deliveries"), result.encode());
      assertEquals(0L, result.getLong("lost"));
      assertEquals(0L, result.getLong("duplicates"));
      assertTrue(result.getLong("retried") > 0, "200 as fast as acks allow is over 200/s: " + result.encode());
      assertTrue(run.err().contains("delivered"), "progress goes to stderr: " + run.err());
    }
  }

  @Test
  void connectionsOpensAndHoldsThem() {
    try (TestCluster cluster = TestCluster.start(1, Map.of())) {
      Run run = bench("connections", "--url", "ws://127.0.0.1:" + cluster.httpPort(0) + "/ws",
          "--connections", "300", "--duration", "500ms", "--json");
      assertEquals(0, run.code(), run.err());
      JsonObject result = run.json();
      assertEquals(300, result.getInteger("opened"), result.encode());
      assertEquals(0L, result.getLong("droppedWhileHeld"));
      assertEquals(300, result.getInteger("openAtEnd"));
    }
  }

  /**
   * {@code bench storm} on 3 in-process nodes, one crashed as the publishing starts: its clients
   * reconnect to the others and resume where they were, and the counts say so (what
   * reconnect-storm.sh reports comes from these fields).
   */
  @Test
  void stormClientsOfADeadNodeResumeOnTheOthers() throws Exception {
    try (TestCluster cluster = TestCluster.start(3, Map.of())) {
      String urls = "ws://127.0.0.1:" + cluster.httpPort(0) + "/ws,ws://127.0.0.1:" + cluster.httpPort(1)
          + "/ws,ws://127.0.0.1:" + cluster.httpPort(2) + "/ws";
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      java.util.concurrent.CompletableFuture<Integer> code = java.util.concurrent.CompletableFuture.supplyAsync(
          () -> BenchCommand.run(new String[] {"storm", "--url", urls, "--subscribers", "60", "--groups", "12",
              "--publishers", "6", "--rate", "30", "--duration", "6s", "--churn", "1", "--json"},
              new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8)));
      long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
      while (!err.toString(StandardCharsets.UTF_8).contains("publishing")) {
        assertTrue(System.nanoTime() < deadline && !code.isDone(),
            "the bench not publishing within 60 s (exit " + (code.isDone() ? code.join() : "none yet") + "): "
                + err.toString(StandardCharsets.UTF_8));
        Thread.sleep(50); // polling the bench's progress lines
      }
      cluster.crash(2);
      assertEquals(0, code.get(120, java.util.concurrent.TimeUnit.SECONDS), err.toString(StandardCharsets.UTF_8));
      JsonObject result = new Run(0, out.toString(StandardCharsets.UTF_8), "").json();
      assertEquals(20, result.getInteger("dropped"), "the third of the subscribers on node 2: " + result.encode());
      assertEquals(20, result.getInteger("resumed"), result.encode());
      assertEquals(0L, result.getLong("unrecovered"));
      assertEquals(2L, result.getLong("publishersDropped"));
      assertEquals(180L, result.getLong("acked"), "6 s at 30 a second, every one acknowledged: " + result.encode());
      assertEquals(900L, result.getLong("expectedDeliveries"), "5 members in each group");
      assertEquals(0L, result.getLong("lost"), result.encode());
      assertEquals(0L, result.getLong("duplicates"), result.encode());
      assertTrue(result.getJsonObject("resumeMs").getDouble("max") > 0, result.encode());
      // the first second's deliveries, each split at the gateway's ts: every one has both legs, and
      // neither leg is longer than the whole (the same machine's clock)
      JsonObject firstSecond = result.getJsonArray("othersBySecondSentMs").getJsonObject(0);
      JsonObject legs = result.getJsonObject("othersFirstSecondLegsMs");
      assertTrue(firstSecond.getLong("deliveries") > 0, result.encode());
      for (String leg : List.of("toGateway", "fromGateway")) {
        assertEquals(firstSecond.getLong("deliveries"), legs.getJsonObject(leg).getLong("deliveries"), leg);
        // (plus the histograms' 0.1% and the millisecond the clocks are read apart)
        assertTrue(legs.getJsonObject(leg).getDouble("max") <= firstSecond.getDouble("max") * 1.01 + 1, legs.encode());
      }
    }
  }

  @Test
  void badArgumentsAreOneLineAndExitCode2() {
    Run none = bench();
    assertEquals(2, none.code());
    assertEquals("groupcast bench: bench needs a scenario: echo, fanout, rooms, storm or connections\n", none.err());
    assertEquals(2, bench("hurricane").code());
    assertEquals("groupcast bench: --rate fast: must be a whole number\n", bench("fanout", "--rate", "fast").err());
    assertEquals("groupcast bench: --url http://x: must be ws://HOST:PORT/PATH or wss://...\n",
        bench("echo", "--url", "http://x").err());
    assertEquals("groupcast bench: unknown option: --colour\n", bench("echo", "--colour", "red").err());
    assertEquals("groupcast bench: --connections needs a value\n", bench("connections", "--connections").err());
    assertEquals(2, bench("fanout", "--groups", "5", "--subscribers", "2").code());
    Run help = bench("fanout", "--help");
    assertEquals(0, help.code());
    assertTrue(help.out().contains("usage: java -jar groupcast.jar bench SCENARIO"));
  }

  @Test
  void aServerThatIsNotThereFailsWithExitCode1() {
    Run run = bench("fanout", "--url", "ws://127.0.0.1:" + TestCluster.freePort() + "/ws", "--subscribers", "1");
    assertEquals(1, run.code());
    String[] lines = run.err().strip().split("\n");
    assertTrue(lines[lines.length - 1].startsWith("groupcast bench: "), run.err());
  }
}
