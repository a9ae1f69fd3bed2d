package dev.groupcast.bench;

import dev.groupcast.config.Durations;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What {@code groupcast bench SCENARIO [options]} was asked to do. Every option has a default, so
 * {@code bench fanout} alone runs against a local node; a bad value is one line and exit code 2.
 */
public record BenchOptions(
    Scenario scenario,
    List<URI> urls,
    Protocol protocol,
    int connections,
    int inflight,
    int size,
    Duration duration,
    Duration warmup,
    int subscribers,
    int groups,
    int publishers,
    int messages,
    int rate,
    List<Integer> serverPids,
    int churn,
    boolean json) {

  public enum Scenario { ECHO, FANOUT, ROOMS, STORM, CONNECTIONS }

  /** {@code bench rooms}: how many seconds of messages it sends when --messages is not given. */
  public static final int ROOMS_SECONDS = 15;

  /** How the bench speaks to the server: groupcast's frames, or Socket.IO (engine.io v4) for comparisons. */
  public enum Protocol { GROUPCAST, SOCKETIO }

  public static final String USAGE = """
      usage: java -jar groupcast.jar bench SCENARIO [options]

      scenarios:
        echo          C connections each keeping W messages in flight through an echo URL
                      (a proxy in front of an echo backend): messages/s and round-trip latency
        fanout        S subscribers over the URLs in G groups; P publishers send M messages at
                      --rate per second, or as fast as acks allow (--rate 0): deliveries/s,
                      publish-to-delivery latency, loss and duplicates
        rooms         fanout with many small groups: its defaults are 2000 subscribers in 500 groups
                      (4 members each, spread over the URLs), 100 publishers at 4000 messages/s in
                      all for 15 s (--messages = 15 x --rate; 60000 with --rate 0); any option
                      changes them, and `fanout` with the same options is the same run
        storm         clients that resume as groupcast.js does while something else kills a node:
                      5000 subscribers in 1000 groups, 50 publishers at 200 messages/s in all for
                      --duration (40s), every publish with a key; subscribers reconnect with backoff
                      and join with since/epoch, publishers send unanswered publishes again. Reports
                      the time from the first drop until each dropped subscriber resumed
                      (recovered:true), the other clients' latency meanwhile, loss and duplicates
                      (src/bench/reconnect-storm.sh runs it behind the proxy and kills the node)
        connections   opens N idle WebSocket connections (--connections) and holds them

      options:
        --url URL[,URL...]   where to connect (default ws://127.0.0.1:8080/ws); repeatable
        --protocol P         groupcast (default) or socketio (fanout/rooms against a Socket.IO server)
        --connections N      echo: connections (50); connections: how many to hold (1000)
        --inflight W         echo: messages in flight per connection (8); fanout: unacked publishes
                             per publisher with --rate 0 (16)
        --size BYTES         message size (64)
        --duration D         echo/connections: how long to measure or hold (10s); fanout/rooms: at
                             most this long (60s); storm: how long it publishes (40s)
        --warmup D           echo: unmeasured time first (1s)
        --churn N            storm: before the publishing, every subscriber closes and resumes N
                             times (5), so the servers have compiled those paths as after days of
                             clients coming and going
        --subscribers S      fanout (200); rooms (2000); storm (5000). The k-th member of group g connects to
                             URL (g + k) mod the URLs given, so every group of 2+ members spans nodes
        --groups G           fanout (1); rooms (500); storm (1000)
        --publishers P       fanout (1); rooms (100); storm (50). Publisher p connects to URL p mod the URLs and
                             sends its n-th message to group (p + n) mod G
        --messages M         fanout: messages in all (2000); rooms: 15 x --rate (60000); storm:
                             --duration x --rate
        --rate R             fanout: messages per second in all, 0 = as fast as acks allow (0);
                             rooms (4000); storm (200)
        --server-pids P[,P]  fanout/rooms, Linux: also report serverCpuMs, the CPU time these local
                             processes used from the first publish to the end of the run, and
                             serverSystemCpuMs, the part of it in the kernel (none)
        --json               one JSON object on the last line of stdout instead of a summary
        -h, --help           this help

      Progress goes to stderr once a second. The bench connects to the URLs given and nothing else.""";

  static BenchOptions parse(String[] args) {
    if (args.length == 0) {
      throw new IllegalArgumentException("bench needs a scenario: echo, fanout, rooms, storm or connections");
    }
    Scenario scenario = switch (args[0]) {
      case "echo" -> Scenario.ECHO;
      case "fanout" -> Scenario.FANOUT;
      case "rooms" -> Scenario.ROOMS;
      case "storm" -> Scenario.STORM;
      case "connections" -> Scenario.CONNECTIONS;
      default -> throw new IllegalArgumentException("unknown scenario: " + args[0]
          + " (echo, fanout, rooms, storm, connections)");
    };
    boolean rooms = scenario == Scenario.ROOMS;
    boolean storm = scenario == Scenario.STORM;
    List<URI> urls = new ArrayList<>();
    Protocol protocol = Protocol.GROUPCAST;
    Integer connections = null;
    Integer inflight = null;
    int size = 64;
    Duration duration = null;
    Duration warmup = Duration.ofSeconds(1);
    int subscribers = storm ? 5000 : rooms ? 2000 : 200;
    int groups = storm ? 1000 : rooms ? 500 : 1;
    int publishers = storm ? 50 : rooms ? 100 : 1;
    Integer messages = null;
    int rate = storm ? 200 : rooms ? 4000 : 0;
    List<Integer> serverPids = new ArrayList<>();
    int churn = 5;
    boolean json = false;
    for (int i = 1; i < args.length; i++) {
      String arg = args[i];
      String name = arg;
      String value = null;
      int eq = arg.indexOf('=');
      if (arg.startsWith("--") && eq > 0) {
        name = arg.substring(0, eq);
        value = arg.substring(eq + 1);
      }
      if (name.equals("--json")) {
        json = true;
        continue;
      }
      if (value == null) {
        if (!name.startsWith("--")) {
          throw new IllegalArgumentException("unexpected argument: " + arg);
        }
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException(name + " needs a value");
        }
        value = args[++i];
      }
      switch (name) {
        case "--url" -> {
          for (String u : value.split(",")) {
            if (!u.isBlank()) {
              urls.add(url(u.trim()));
            }
          }
        }
        case "--protocol" -> protocol = switch (value.toLowerCase(Locale.ROOT)) {
          case "groupcast" -> Protocol.GROUPCAST;
          case "socketio", "socket.io" -> Protocol.SOCKETIO;
          default -> throw new IllegalArgumentException("--protocol " + value + ": groupcast or socketio");
        };
        case "--connections" -> connections = number(name, value, 1, 1_000_000);
        case "--inflight" -> inflight = number(name, value, 1, 100_000);
        case "--size" -> size = number(name, value, 16, 16 * 1024 * 1024);
        case "--duration" -> duration = duration(name, value);
        case "--warmup" -> warmup = value.equals("0") ? Duration.ZERO : duration(name, value);
        case "--subscribers" -> subscribers = number(name, value, 1, 1_000_000);
        case "--groups" -> groups = number(name, value, 1, 100_000);
        case "--publishers" -> publishers = number(name, value, 1, 10_000);
        case "--messages" -> messages = number(name, value, 1, 100_000_000);
        case "--rate" -> rate = number(name, value, 0, 10_000_000);
        case "--churn" -> churn = number(name, value, 0, 1000);
        case "--server-pids" -> {
          for (String pid : value.split(",")) {
            if (!pid.isBlank()) {
              serverPids.add(number(name, pid.trim(), 1, Integer.MAX_VALUE));
            }
          }
        }
        default -> throw new IllegalArgumentException("unknown option: " + name);
      }
    }
    if (urls.isEmpty()) {
      urls.add(URI.create("ws://127.0.0.1:8080/ws"));
    }
    boolean fanout = scenario == Scenario.FANOUT || rooms;
    if (storm && rate == 0) {
      throw new IllegalArgumentException("--rate 0: storm publishes at a rate (at least 1 a second)");
    }
    if (protocol == Protocol.SOCKETIO && !fanout) {
      throw new IllegalArgumentException("--protocol socketio is for the fanout and rooms scenarios");
    }
    if (!serverPids.isEmpty() && !fanout) {
      throw new IllegalArgumentException("--server-pids is for the fanout and rooms scenarios");
    }
    if (groups > subscribers) {
      throw new IllegalArgumentException("--groups " + groups + " is more than --subscribers " + subscribers);
    }
    if (duration == null) {
      duration = storm ? Duration.ofSeconds(40) : fanout ? Duration.ofSeconds(60) : Duration.ofSeconds(10);
    }
    if (messages == null) {
      messages = storm ? (int) Math.max(1, Math.min(100_000_000L, rate * duration.toSeconds()))
          : rooms ? (rate == 0 ? 60_000 : (int) Math.min(100_000_000L, (long) rate * ROOMS_SECONDS)) : 2000;
    }
    int defaultConnections = scenario == Scenario.CONNECTIONS ? 1000 : 50;
    int defaultInflight = fanout ? 16 : 8;
    return new BenchOptions(scenario, List.copyOf(urls), protocol,
        connections == null ? defaultConnections : connections, inflight == null ? defaultInflight : inflight,
        size, duration, warmup, subscribers, groups, publishers, messages, rate, List.copyOf(serverPids), churn, json);
  }

  private static URI url(String text) {
    try {
      URI uri = new URI(text);
      String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
      if (!scheme.equals("ws") && !scheme.equals("wss") || uri.getHost() == null) {
        throw new IllegalArgumentException("--url " + text + ": must be ws://HOST:PORT/PATH or wss://...");
      }
      return uri;
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("--url " + text + ": " + e.getReason());
    }
  }

  private static int number(String name, String value, int min, int max) {
    try {
      int n = Integer.parseInt(value);
      if (n < min || n > max) {
        throw new IllegalArgumentException(name + " " + value + ": out of range " + min + "-" + max);
      }
      return n;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " " + value + ": must be a whole number");
    }
  }

  private static Duration duration(String name, String value) {
    Duration d;
    try {
      d = Durations.parse(value);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(name + " " + value + ": " + e.getMessage());
    }
    if (d.isZero()) {
      throw new IllegalArgumentException(name + " " + value + ": must be more than 0");
    }
    return d;
  }
}
