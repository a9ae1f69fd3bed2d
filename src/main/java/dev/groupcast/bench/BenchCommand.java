package dev.groupcast.bench;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.json.JsonObject;

import java.io.PrintStream;
import java.util.concurrent.TimeUnit;

/**
 * {@code java -jar groupcast.jar bench SCENARIO [options]}: the load generator shipped with the
 * server, like redis-benchmark. It runs in its own unclustered Vert.x and stops by itself.
 */
public final class BenchCommand {

  public static final int EXIT_OK = 0;
  public static final int EXIT_FAILED = 1;
  public static final int EXIT_USAGE = 2;

  private BenchCommand() {
  }

  /** Runs the bench and returns the process exit code; the result goes to {@code out}, progress to {@code err}. */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    for (String arg : args) {
      if (arg.equals("-h") || arg.equals("--help")) {
        out.println(BenchOptions.USAGE);
        return EXIT_OK;
      }
    }
    BenchOptions options;
    try {
      options = BenchOptions.parse(args);
    } catch (IllegalArgumentException e) {
      err.println("groupcast bench: " + e.getMessage());
      return EXIT_USAGE;
    }
    int cores = Runtime.getRuntime().availableProcessors();
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(cores).setPreferNativeTransport(true));
    WebSocketClient client = vertx.createWebSocketClient(new WebSocketClientOptions()
        .setMaxConnections(Integer.MAX_VALUE)
        .setConnectTimeout(10_000)
        .setMaxFrameSize(Math.max(65536, 2 * options.size()))
        .setMaxMessageSize(Math.max(65536 * 4, 4 * options.size()))
        .setTryUsePerMessageCompression(false)
        .setTryUsePerFrameCompression(false));
    Progress progress = new Progress(vertx, err);
    try {
      JsonObject result = switch (options.scenario()) {
        case ECHO -> new EchoBench(vertx, client, options, progress).run();
        case FANOUT, ROOMS -> new FanoutBench(vertx, client, options, progress).run();
        case STORM -> new StormBench(vertx, client, options, progress).run();
        case CONNECTIONS -> new ConnectionsBench(vertx, client, options, progress).run();
      };
      out.println(options.json() ? result.encode() : summary(result));
      return EXIT_OK;
    } catch (Exception e) {
      // an exception without a message (a timeout, a bug) is named by its class instead of "null"
      err.println("groupcast bench: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
      return EXIT_FAILED;
    } finally {
      progress.stop();
      try {
        client.close().await(5, TimeUnit.SECONDS);
        vertx.close().await(5, TimeUnit.SECONDS);
      } catch (Exception e) {
        // stopping anyway
      }
    }
  }

  /** The result as aligned "name: value" lines, nested objects flattened with dots. */
  static String summary(JsonObject result) {
    StringBuilder sb = new StringBuilder();
    flatten("", result, sb);
    return sb.toString().stripTrailing();
  }

  private static void flatten(String prefix, JsonObject object, StringBuilder sb) {
    for (String key : object.fieldNames()) {
      Object value = object.getValue(key);
      if (value instanceof JsonObject nested) {
        flatten(prefix + key + ".", nested, sb);
      } else {
        sb.append(String.format("%-22s %s%n", prefix + key + ":", value));
      }
    }
  }
}
